using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A non-blocking connect(2) whose completion the event loop watches. Dialing here rather than
/// with <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> keeps the backend socket
/// out of .NET's own epoll: registered there, every readiness change of a relayed socket would
/// also wake .NET's socket thread for nothing, a cost paid on every relayed byte's wake-up.
/// The loop also enforces the timeout (<see cref="ConnectDeadlines"/>), and this object is the
/// awaitable, so a dial allocates no timer, token source or task.
/// </summary>
internal sealed class SpliceConnect : LoopEntry, IValueTaskSource<TransportSocket>
{
    private readonly EventLoop _loop;
    private readonly Socket _socket;
    // Continuations run inline on the loop: the dial goes on to the relay with no thread hop.
    private ManualResetValueTaskSourceCore<TransportSocket> _completion;
    private CancellationTokenRegistration _cancellation;
    private DescriptorLease _lease;
    private bool _done;
    private volatile bool _registered;

    private SpliceConnect(EventLoop loop, Socket socket)
    {
        _loop = loop;
        _socket = socket;
    }

    public int Fd { get; private set; }

    /// <summary>When the loop gives up (a <see cref="Stopwatch"/> timestamp); kept by <see cref="ConnectDeadlines"/>.</summary>
    public long Deadline { get; set; }

    public ConnectDeadlines.Fifo? DeadlineFifo { get; set; }

    public SpliceConnect? Previous { get; set; }

    public SpliceConnect? Next { get; set; }

    /// <summary>
    /// Completes on the loop thread: connected (the socket with <paramref name="loop"/>, which goes
    /// on to relay it), failed with a <see cref="SocketException"/>, or an
    /// <see cref="OperationCanceledException"/> after <paramref name="timeout"/> or on cancellation.
    /// </summary>
    public static ValueTask<TransportSocket> StartAsync(EventLoop loop, Socket socket, IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connect = new SpliceConnect(loop, socket);
        connect._lease = DescriptorLease.Take(socket);
        connect.Fd = connect._lease.Fd;
        Libc.SetNonBlocking(connect.Fd);
        Span<byte> address = stackalloc byte[Libc.SockAddrSize];
        var result = Libc.Connect(connect.Fd, Libc.WriteSockAddr(endpoint, address));
        var error = result == 0 ? 0 : Libc.LastError;
        if (error != Libc.EINPROGRESS)
        {
            connect.ReleaseRef();
            return error == 0 ? new ValueTask<TransportSocket>(new TransportSocket(socket, loop)) : ValueTask.FromException<TransportSocket>(Libc.SocketError(error));
        }

        // The token's registration exists before the loop can complete the dial, so completing
        // always disposes it; a cancellation before the dial is registered is acted on after.
        if (cancellationToken.CanBeCanceled)
        {
            connect._cancellation = cancellationToken.UnsafeRegister(static s => ((SpliceConnect)s!).RequestCancel(), connect);
        }

        // Registered for everything the relay will want: it only re-points the registration later.
        if (!loop.RegisterConnect(connect, connect.Fd, TimeoutTicks(timeout)))
        {
            var registerError = Libc.LastError;
            loop.RemoveConnect(connect);
            connect._cancellation.Dispose();
            connect.ReleaseRef();
            return ValueTask.FromException<TransportSocket>(Libc.SocketError(registerError));
        }

        connect._registered = true;
        if (cancellationToken.IsCancellationRequested)
        {
            connect.RequestCancel();
        }

        return new ValueTask<TransportSocket>(connect, connect._completion.Version);
    }

    public override void OnEvents(int side, uint events)
    {
        if (_done || (events & (Libc.EPOLLOUT | Libc.EPOLLERR | Libc.EPOLLHUP)) == 0)
        {
            return;
        }

        // Writable without error or hang-up means connected; only a failure needs SO_ERROR's errno.
        var error = (events & (Libc.EPOLLERR | Libc.EPOLLHUP)) == 0 ? 0 : Libc.SocketErrorOption(Fd);
        Complete(error == 0 ? null : Libc.SocketError(error));
    }

    /// <summary>Cancelled by the token (see <see cref="RequestCancel"/>); ignored until the dial is registered.</summary>
    public override void OnCommand()
    {
        if (_registered)
        {
            OnTimeout();
        }
    }

    /// <summary>Loop thread: the deadline passed, or the token fired.</summary>
    public void OnTimeout()
    {
        if (!_done)
        {
            Complete(new OperationCanceledException());
        }
    }

    TransportSocket IValueTaskSource<TransportSocket>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<TransportSocket>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<TransportSocket>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private static long TimeoutTicks(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero ? 1 : (long)Math.Min(timeout.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 4);

    private void RequestCancel() => _loop.EnqueueCommand(this);

    /// <summary>
    /// Loop thread: reference released, then the dial goes on (inline: no thread hop). The socket
    /// stays registered: the relay re-points it, or closing it removes it; until then its events
    /// carry this entry's id and are ignored.
    /// </summary>
    private void Complete(Exception? error)
    {
        _done = true;
        _loop.RemoveConnect(this);
        ReleaseRef();
        _cancellation.Dispose();
        if (error is null)
        {
            _completion.SetResult(new TransportSocket(_socket, _loop));
        }
        else
        {
            _completion.SetException(error);
        }
    }

    private void ReleaseRef() => _lease.Release();
}

using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Tcp.Splice;

/// <summary>
/// A non-blocking connect(2) whose completion the event loop watches. Dialing here rather than
/// with <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> keeps the backend socket
/// out of .NET's own epoll: registered there, every readiness change of a relayed socket would
/// also wake .NET's socket thread for nothing (13 % of the proxy's CPU in a keep-alive run).
/// </summary>
internal sealed class SpliceConnect : LoopEntry
{
    private const int EINPROGRESS = 115;
    private readonly SpliceEventLoop _loop;
    private readonly TaskCompletionSource _completion = new();
    private CancellationTokenRegistration _cancellation;
    private DescriptorLease _lease;
    private bool _done;

    private SpliceConnect(SpliceEventLoop loop) => _loop = loop;

    public int Fd { get; private set; }

    /// <summary>Completes on the loop thread: connected, failed with a <see cref="SocketException"/>, or cancelled.</summary>
    public static Task StartAsync(SpliceEventLoop loop, Socket socket, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connect = new SpliceConnect(loop);
        connect._lease = DescriptorLease.Take(socket);
        connect.Fd = connect._lease.Fd;
        Libc.SetNonBlocking(connect.Fd);
        Span<byte> address = stackalloc byte[28];
        var result = Libc.Connect(connect.Fd, Libc.WriteSockAddr(endpoint, address));
        var error = result == 0 ? 0 : Libc.LastError;
        if (error != EINPROGRESS)
        {
            connect.ReleaseRef();
            return error == 0 ? Task.CompletedTask : Task.FromException(Libc.SocketError(error));
        }

        // Registered for everything the relay will want: it only re-points the registration later.
        if (!loop.Register(connect, connect.Fd, SpliceEventLoop.SocketEvents, side: 0))
        {
            var registerError = Libc.LastError;
            loop.Remove(connect);
            connect.ReleaseRef();
            return Task.FromException(Libc.SocketError(registerError));
        }

        if (cancellationToken.CanBeCanceled)
        {
            connect._cancellation = cancellationToken.UnsafeRegister(static s => ((SpliceConnect)s!).RequestCancel(), connect);
        }

        return connect._completion.Task;
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

    public override void OnCommand()
    {
        if (!_done)
        {
            Complete(new OperationCanceledException());
        }
    }

    private void RequestCancel() => _loop.EnqueueCommand(this);

    /// <summary>
    /// Loop thread: reference released, then the dial goes on (inline: no thread hop). The socket
    /// stays registered: the relay re-points it, or closing it removes it; until then its events
    /// carry this entry's id and are ignored.
    /// </summary>
    private void Complete(Exception? error)
    {
        _done = true;
        _loop.Remove(this);
        ReleaseRef();
        _cancellation.Dispose();
        if (error is null)
        {
            _completion.TrySetResult();
        }
        else if (error is OperationCanceledException)
        {
            _completion.TrySetCanceled();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    private void ReleaseRef() => _lease.Release();
}

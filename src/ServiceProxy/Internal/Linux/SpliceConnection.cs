using System.Threading.Tasks.Sources;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A connection handed to an event loop: both sockets' descriptors, held open by a SafeHandle
/// reference until the loop lets go, so no other thread can close (and the kernel reuse) a
/// descriptor the loop still splices. Everything but <see cref="RequestAbort"/> runs on the loop.
/// </summary>
internal sealed class SpliceConnection : LoopEntry, ITcpAbortHandler, IValueTaskSource
{
    private readonly EventLoop _loop;
    private readonly SplicePipePool _pool;
    // Continuations run inline on the loop: the connection's tail (metrics, access log, closing
    // both sockets) never blocks, and a thread-pool hop per connection would cost a wake-up.
    // The connection is its own awaitable: no task held per idle connection.
    private ManualResetValueTaskSourceCore<bool> _completion;
    private DescriptorLease _client;
    private DescriptorLease _backend;
    private int _abortRequested;
    private bool _finished;

    private SpliceConnection(EventLoop loop, SplicePipePool pool, TcpProxyConnection connection, DescriptorLease client, DescriptorLease backend)
    {
        _loop = loop;
        _pool = pool;
        Connection = connection;
        _client = client;
        _backend = backend;
        ClientFd = client.Fd;
        BackendFd = backend.Fd;
        Upstream = new SpliceDirection(connection, RelayDirection.Upstream, ClientFd, BackendFd);
        Downstream = new SpliceDirection(connection, RelayDirection.Downstream, BackendFd, ClientFd);
    }

    public TcpProxyConnection Connection { get; }

    public int ClientFd { get; }

    public int BackendFd { get; }

    public SpliceDirection Upstream { get; }

    public SpliceDirection Downstream { get; }

    /// <summary>Completes when the relay has ended; awaited once.</summary>
    public ValueTask Completion => new(this, _completion.Version);

    /// <summary>
    /// Takes a reference on both sockets; null when one was closed already (the connection was
    /// aborted). <paramref name="clientNonBlocking"/>: the client's descriptor is non-blocking already.
    /// </summary>
    public static SpliceConnection? TryCreate(EventLoop loop, SplicePipePool pool, TcpProxyConnection connection, bool clientNonBlocking)
    {
        if (!DescriptorLease.TryTake(connection.Client, out var client))
        {
            return null;
        }

        if (!DescriptorLease.TryTake(connection.Backend!, out var backend))
        {
            client.Release();
            return null;
        }

        // .NET keeps a socket it accepted blocking at the OS level until its first async operation;
        // the loop must never block. A client the loops accepted is non-blocking from accept4 on,
        // and the backend was made non-blocking by its connect (see EventLoop.RegisterBackend).
        if (!clientNonBlocking)
        {
            Libc.SetNonBlocking(client.Fd);
        }
        return new SpliceConnection(loop, pool, connection, client, backend);
    }

    /// <summary>Any thread: the loop resets both sockets on its own thread, where no splice can race the close.</summary>
    public void RequestAbort()
    {
        if (Interlocked.Exchange(ref _abortRequested, 1) == 0)
        {
            _loop.EnqueueCommand(this);
        }
    }

    /// <summary>Handles readiness of one socket (side 0: client, 1: backend).</summary>
    public override void OnEvents(int side, uint events)
    {
        if (_finished || Volatile.Read(ref _abortRequested) != 0)
        {
            return;
        }

        var asSource = side == 0 ? Upstream : Downstream;
        var asTarget = side == 0 ? Downstream : Upstream;
        TcpCloseReason? failure = null;
        const uint HangUp = Libc.EPOLLRDHUP | Libc.EPOLLERR | Libc.EPOLLHUP;
        if ((events & (Libc.EPOLLIN | HangUp)) != 0)
        {
            failure = asSource.Pump(_pool, mayStopAfterShortRead: (events & HangUp) == 0);
        }

        if (failure is null && asTarget.HasPending && (events & (Libc.EPOLLOUT | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
        {
            failure = asTarget.Pump(_pool, mayStopAfterShortRead: false);
        }

        if (failure is { } reason)
        {
            Connection.Abort(reason); // comes back through RequestAbort
        }
        else if (Upstream.IsDone && Downstream.IsDone)
        {
            Finish(aborted: false);
        }
    }

    /// <summary>
    /// Ends the relay: pipes back to the pool, descriptors released; an aborted connection is reset
    /// (linger 0, then close sends RST) before the relay's task completes.
    /// </summary>
    public void Finish(bool aborted)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        Upstream.Release(_pool);
        Downstream.Release(_pool);
        _loop.Remove(this);
        _client.Release();
        _backend.Release();

        if (aborted)
        {
            TcpProxyConnection.Reset(Connection.Client);
            TcpProxyConnection.Reset(Connection.Backend);
        }

        _completion.SetResult(true);
    }

    public override void OnFault() => Connection.Abort(TcpCloseReason.Error);

    /// <summary>The abort <see cref="RequestAbort"/> queued.</summary>
    public override void OnCommand() => Finish(aborted: true);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}

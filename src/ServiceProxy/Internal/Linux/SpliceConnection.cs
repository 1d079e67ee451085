using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A connection the loop relays with epoll (<see cref="RelayEngine.Splice"/>): both sockets
/// registered edge-triggered once, each readiness event pumping the directions it concerns with
/// recv/send or splice(2). Everything but <see cref="LoopRelay.RequestAbort"/> runs on the loop.
/// </summary>
internal sealed class SpliceConnection : LoopRelay
{
    private readonly SplicePipePool _pool;
    private bool _finished;

    private SpliceConnection(EventLoop loop, SplicePipePool pool, TcpProxyConnection connection, DescriptorLease client, DescriptorLease backend)
        : base(loop, connection, client, backend)
    {
        _pool = pool;
        Upstream = new SpliceDirection(connection, RelayDirection.Upstream, ClientFd, BackendFd);
        Downstream = new SpliceDirection(connection, RelayDirection.Downstream, BackendFd, ClientFd);
    }

    public SpliceDirection Upstream { get; }

    public SpliceDirection Downstream { get; }

    /// <summary>
    /// Takes a reference on both sockets; null when one was closed already (the connection was
    /// aborted). <paramref name="clientNonBlocking"/>: the client's descriptor is non-blocking already.
    /// </summary>
    public static SpliceConnection? TryCreate(EventLoop loop, SplicePipePool pool, TcpProxyConnection connection, bool clientNonBlocking)
    {
        if (!TryTakeDescriptors(connection, out var client, out var backend))
        {
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

    /// <summary>Handles readiness of one socket (side 0: client, 1: backend).</summary>
    public override void OnEvents(int side, uint events)
    {
        if (_finished || AbortRequested)
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

    /// <summary>Ends the relay: pipes back to the pool, then <see cref="LoopRelay.End"/>.</summary>
    public void Finish(bool aborted)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        Upstream.Release(_pool);
        Downstream.Release(_pool);
        End(aborted);
    }

    /// <summary>The abort <see cref="LoopRelay.RequestAbort"/> queued.</summary>
    public override void OnCommand() => Finish(aborted: true);
}

using System.Threading.Tasks.Sources;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A connection an event loop relays, whichever way it moves the bytes (<see cref="SpliceConnection"/>
/// with epoll, <see cref="UringConnection"/> with io_uring): both sockets' descriptors, held open by
/// a SafeHandle reference until the loop lets go, so no other thread can close (and the kernel
/// reuse) a descriptor the loop still uses; an abort any thread may ask for and the loop carries
/// out; and the relay's end, which the connection awaits. Continuations run inline on the loop:
/// the connection's tail (metrics, access log, closing both sockets) never blocks, and a
/// thread-pool hop per connection would cost a wake-up. The relay is its own awaitable, so an idle
/// connection holds no task.
/// </summary>
internal abstract class LoopRelay : LoopEntry, ITcpAbortHandler, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _completion;
    private DescriptorLease _client;
    private DescriptorLease _backend;
    private int _abortRequested;

    protected LoopRelay(EventLoop loop, TcpProxyConnection connection, DescriptorLease client, DescriptorLease backend)
    {
        Loop = loop;
        Connection = connection;
        _client = client;
        _backend = backend;
        ClientFd = client.Fd;
        BackendFd = backend.Fd;
    }

    public EventLoop Loop { get; }

    public TcpProxyConnection Connection { get; }

    public int ClientFd { get; }

    public int BackendFd { get; }

    /// <summary>Completes when the relay has ended; awaited once.</summary>
    public ValueTask Completion => new(this, _completion.Version);

    /// <summary>Whether an abort was asked for; the loop carries it out in <see cref="LoopEntry.OnCommand"/>.</summary>
    protected bool AbortRequested => Volatile.Read(ref _abortRequested) != 0;

    /// <summary>
    /// Takes a reference on both sockets; false (nothing held) when one was closed already, the
    /// connection having been aborted.
    /// </summary>
    protected static bool TryTakeDescriptors(TcpProxyConnection connection, out DescriptorLease client, out DescriptorLease backend)
    {
        backend = default;
        if (!DescriptorLease.TryTake(connection.Client, out client))
        {
            return false;
        }

        if (!DescriptorLease.TryTake(connection.Backend!, out backend))
        {
            client.Release();
            return false;
        }

        return true;
    }

    /// <summary>Any thread: the loop ends the relay and resets both sockets on its own thread.</summary>
    public void RequestAbort()
    {
        if (Interlocked.Exchange(ref _abortRequested, 1) == 0)
        {
            Loop.EnqueueCommand(this);
        }
    }

    public override void OnFault() => Connection.Abort(TcpCloseReason.Error);

    /// <summary>
    /// Loop thread, once, when nothing of the relay is in flight: lets go of the slot and both
    /// descriptors; an aborted connection is reset (linger 0, then close sends RST) before the
    /// relay's task completes.
    /// </summary>
    protected void End(bool aborted)
    {
        Loop.Remove(this);
        _client.Release();
        _backend.Release();
        if (aborted)
        {
            TcpProxyConnection.Reset(Connection.Client);
            TcpProxyConnection.Reset(Connection.Backend);
        }

        _completion.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}

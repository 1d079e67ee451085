using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Tcp;

/// <summary>
/// One proxied connection: the two sockets, what moved, and how it ended. The relay updates
/// <see cref="Touch"/> per chunk; the port's sweep timer reads it to enforce idle and half-closed
/// timeouts, so no timer exists per connection or per read.
/// </summary>
internal sealed class TcpProxyConnection
{
    private readonly TimeProvider _time;
    // Per direction (index = RelayDirection), inline rather than arrays: three objects fewer per connection.
    private Pair _bytes;
    private Pair _buffered;
    private Pair _maxBuffered;
    private Socket? _backend;
    private long _lastActivity;
    private int _openDirections = 2;
    private int _aborted;
    private TcpCloseReason _abortReason;
    private ITcpAbortHandler? _abortHandler;

    public TcpProxyConnection(Socket client, IPEndPoint clientEndPoint, TimeProvider time)
    {
        Client = client;
        ClientEndPoint = clientEndPoint;
        _time = time;
        StartedAt = time.GetTimestamp();
        _lastActivity = StartedAt;
    }

    public Socket Client { get; }

    /// <summary>Null until the dial succeeded.</summary>
    public Socket? Backend => Volatile.Read(ref _backend);

    public IPEndPoint ClientEndPoint { get; }

    public IPEndPoint? Endpoint { get; private set; }

    public long StartedAt { get; }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>One direction has seen end-of-stream and the other is still open.</summary>
    public bool IsHalfClosed => Volatile.Read(ref _openDirections) == 1;

    public TcpCloseReason CloseReason => IsAborted ? _abortReason : TcpCloseReason.Completed;

    public long BytesFromClient => Interlocked.Read(ref _bytes.Upstream);

    public long BytesToClient => Interlocked.Read(ref _bytes.Downstream);

    /// <summary>The most bytes the proxy held at once for <paramref name="direction"/> (read, not yet sent).</summary>
    public long MaxBuffered(RelayDirection direction) => Interlocked.Read(ref _maxBuffered[direction]);

    public TimeSpan Duration => _time.GetElapsedTime(StartedAt);

    /// <summary>Attaches the dialed backend; false (and the backend reset) when the connection was aborted meanwhile.</summary>
    public bool AttachBackend(Socket backend, IPEndPoint endpoint)
    {
        Endpoint = endpoint;
        Volatile.Write(ref _backend, backend);
        if (IsAborted)
        {
            Reset(backend);
            return false;
        }

        Touch();
        return true;
    }

    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    public TimeSpan IdleFor(long now) => _time.GetElapsedTime(Volatile.Read(ref _lastActivity), now);

    /// <summary>
    /// Whether the kernel received data on either socket within <paramref name="span"/>, read or not: after a
    /// stall of the process (a starved thread pool, a long GC) the relay may not have recorded it yet.
    /// </summary>
    public bool ReceivedWithin(TimeSpan span) =>
        Internal.Linux.TcpInfo.SinceLastDataReceived(Client) < span || Internal.Linux.TcpInfo.SinceLastDataReceived(Backend) < span;

    /// <summary>Marks one direction ended; true when it was the last, so both have now ended.</summary>
    public bool DirectionCompleted() => Interlocked.Decrement(ref _openDirections) == 0;

    public void AddBytes(RelayDirection direction, long count) => Interlocked.Add(ref _bytes[direction], count);

    public void BufferTaken(RelayDirection direction, long count)
    {
        var now = Interlocked.Add(ref _buffered[direction], count);
        ref var max = ref _maxBuffered[direction];
        for (var seen = Interlocked.Read(ref max); now > seen; seen = Interlocked.Read(ref max))
        {
            if (Interlocked.CompareExchange(ref max, now, seen) == seen)
            {
                break;
            }
        }
    }

    public void BufferReleased(RelayDirection direction, long count) => Interlocked.Add(ref _buffered[direction], -count);

    /// <summary>
    /// Resets both sides (RST, not FIN). The first reason wins; later calls do nothing. With an
    /// abort handler set, the relay that owns the descriptors resets them on its own thread.
    /// </summary>
    public bool Abort(TcpCloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _aborted, 1, 0) != 0)
        {
            return false;
        }

        _abortReason = reason;

        if (Volatile.Read(ref _abortHandler) is { } handler)
        {
            handler.RequestAbort();
            return true;
        }

        Reset(Client);
        Reset(Backend);
        return true;
    }

    /// <summary>
    /// Hands aborting to a relay that uses the raw descriptors (the splice engine). The relay checks
    /// <see cref="IsAborted"/> after this call: one of the two sides always sees the other.
    /// </summary>
    public void SetAbortHandler(ITcpAbortHandler handler) => Interlocked.Exchange(ref _abortHandler, handler);

    /// <summary>Releases both sockets; after a completed relay both sides have already sent FIN.</summary>
    public void Close()
    {
        Client.Dispose();
        Backend?.Dispose();
    }

    /// <summary>Linger 0 then close makes the kernel send RST instead of FIN.</summary>
    public static void Reset(Socket? socket)
    {
        if (socket is null)
        {
            return;
        }

        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed or reset by the peer: disposing is all that is left to do.
        }

        socket.Dispose();
    }
}

/// <summary>A relay that owns a connection's descriptors and resets them itself, on its own thread.</summary>
internal interface ITcpAbortHandler
{
    void RequestAbort();
}

/// <summary>Two counters, one per <see cref="RelayDirection"/>.</summary>
internal struct Pair
{
    public long Upstream;
    public long Downstream;

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public ref long this[RelayDirection direction] => ref direction == RelayDirection.Upstream ? ref Upstream : ref Downstream;
}

/// <summary>Upstream: client to backend. Downstream: backend to client.</summary>
internal enum RelayDirection
{
    Upstream = 0,
    Downstream = 1,
}

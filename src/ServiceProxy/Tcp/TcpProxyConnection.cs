using System.Diagnostics;
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
    private readonly long[] _bytes = new long[2];
    private readonly long[] _buffered = new long[2];
    private readonly long[] _maxBuffered = new long[2];
    private Socket? _backend;
    private long _lastActivity;
    private int _openDirections = 2;
    private int _aborted;
    private TcpCloseReason _abortReason;
    private Action? _abortHandler;

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

    /// <summary>Service, port and endpoint tags, set with the backend.</summary>
    public TagList Tags { get; private set; }

    public long StartedAt { get; }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>One direction has seen end-of-stream and the other is still open.</summary>
    public bool IsHalfClosed => Volatile.Read(ref _openDirections) == 1;

    public TcpCloseReason CloseReason => IsAborted ? _abortReason : TcpCloseReason.Completed;

    public long BytesFromClient => Interlocked.Read(ref _bytes[(int)RelayDirection.Upstream]);

    public long BytesToClient => Interlocked.Read(ref _bytes[(int)RelayDirection.Downstream]);

    /// <summary>The most bytes the proxy held at once for <paramref name="direction"/> (read, not yet sent).</summary>
    public long MaxBuffered(RelayDirection direction) => Interlocked.Read(ref _maxBuffered[(int)direction]);

    public TimeSpan Duration => _time.GetElapsedTime(StartedAt);

    /// <summary>Attaches the dialed backend; false (and the backend reset) when the connection was aborted meanwhile.</summary>
    public bool AttachBackend(Socket backend, IPEndPoint endpoint, TagList tags)
    {
        Endpoint = endpoint;
        Tags = tags;
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

    /// <summary>Marks one direction ended; true when it was the last, so both have now ended.</summary>
    public bool DirectionCompleted() => Interlocked.Decrement(ref _openDirections) == 0;

    public void AddBytes(RelayDirection direction, long count) => Interlocked.Add(ref _bytes[(int)direction], count);

    public void BufferTaken(RelayDirection direction, long count)
    {
        var now = Interlocked.Add(ref _buffered[(int)direction], count);
        ref var max = ref _maxBuffered[(int)direction];
        for (var seen = Interlocked.Read(ref max); now > seen; seen = Interlocked.Read(ref max))
        {
            if (Interlocked.CompareExchange(ref max, now, seen) == seen)
            {
                break;
            }
        }
    }

    public void BufferReleased(RelayDirection direction, long count) => Interlocked.Add(ref _buffered[(int)direction], -count);

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
            handler();
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
    public void SetAbortHandler(Action handler) => Interlocked.Exchange(ref _abortHandler, handler);

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

/// <summary>Upstream: client to backend. Downstream: backend to client.</summary>
internal enum RelayDirection
{
    Upstream = 0,
    Downstream = 1,
}

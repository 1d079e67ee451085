using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Udp;

/// <summary>
/// One client (ip, port) on one listen socket, with its own socket connected to the chosen
/// endpoint. Datagrams from the client are sent on that socket; what the endpoint answers comes
/// back on it and is sent to the client from the listen socket the client talked to.
/// </summary>
/// <remarks>
/// An idle session holds no buffer: it waits with a zero-byte peek and rents a 64 KiB buffer only
/// once a datagram is queued. A closed session whose endpoint was unreachable stays in the table
/// as a marker, so the client's next datagram knows which endpoint to avoid.
/// </remarks>
internal sealed class UdpSession
{
    private readonly UdpServicePortProxy _port;
    private readonly Socket _socket;
    private readonly UdpTransport _transport;
    private readonly ConnectionBudget? _budget;
    private long _lastActivity;
    private long _queuedAt;
    private int _closed;
    private int _descriptorReleased;
    private UdpLoopSession? _receiver;

    public UdpSession(
        UdpServicePortProxy port,
        UdpListener listener,
        UdpSessionKey key,
        IPEndPoint client,
        IPEndPoint endpoint,
        Socket socket,
        UdpTransport transport,
        long now,
        ConnectionBudget? budget = null)
    {
        _port = port;
        _transport = transport;
        Listener = listener;
        Key = key;
        Client = client;
        ClientAddress = client.Serialize();
        Endpoint = endpoint;
        _socket = socket;
        _budget = budget;
        StartedAt = now;
        _lastActivity = now;
    }

    public UdpSessionKey Key { get; }

    public UdpListener Listener { get; }

    public IPEndPoint Client { get; }

    /// <summary>The client as a socket address, serialized once so replies allocate nothing.</summary>
    public SocketAddress ClientAddress { get; }

    public IPEndPoint Endpoint { get; }

    public long StartedAt { get; }

    public long LastActivity
    {
        get => Volatile.Read(ref _lastActivity);
        set => Volatile.Write(ref _lastActivity, value);
    }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Completes once the socket is closed (an event loop closes it shortly after <see cref="TryClose"/>).</summary>
    public Task Closed => LoopReceiver?.Released ?? Task.CompletedTask;

    public UdpCloseReason CloseReason { get; private set; }

    /// <summary>What reads the session's socket on a loop; null where .NET's engine does (or before it started).</summary>
    internal UdpLoopSession? LoopReceiver => Volatile.Read(ref _receiver);

    // Traffic counters: each direction is written by one loop only.
    public long DatagramsToEndpoint;
    public long BytesToEndpoint;
    public long DatagramsToClient;
    public long BytesToClient;

    // Owned by UdpSessionTable, under its lock.
    internal UdpSession? Older;
    internal UdpSession? Newer;
    internal bool InTable;

    /// <summary>CLOCK reference bit: a datagram went either way since the session was (re-)queued.</summary>
    internal volatile bool Used;

    internal long QueuedAt
    {
        get => Volatile.Read(ref _queuedAt);
        set => Volatile.Write(ref _queuedAt, value);
    }

    /// <summary>Sends on the connected socket; the caller's buffer is free when this returns.</summary>
    public ValueTask<int> SendToEndpointAsync(ReadOnlyMemory<byte> datagram) =>
        _transport.SendAsync(_socket, LoopReceiver, datagram, to: null, _socket, static (socket, d) => socket.SendAsync(d, SocketFlags.None));

    /// <summary>
    /// Starts relaying what the endpoint sends: on an event loop where there are some (Linux),
    /// else on .NET's socket engine. Either ends when the session closes.
    /// </summary>
    public void Start()
    {
        if (_transport.Receive(_port, this, _socket) is { } receiver)
        {
            Interlocked.Exchange(ref _receiver, receiver); // a full fence: TryClose sees it, or this sees the close
            if (IsClosed)
            {
                receiver.Stop(); // closed while starting
            }

            return;
        }

        _ = RelayFromEndpointAsync();
    }

    /// <summary>Closes the socket once; false when already closed.</summary>
    public bool TryClose(UdpCloseReason reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        CloseReason = reason;
        if (LoopReceiver is { } receiver)
        {
            receiver.Stop(); // the loop closes the socket once it has let go
        }
        else
        {
            _socket.Dispose();
            OnSocketClosed();
        }

        return true;
    }

    /// <summary>
    /// The socket's descriptor is closed: its share of the budget goes back, once, whichever of
    /// <see cref="TryClose"/> and the event loop closed it.
    /// </summary>
    internal void OnSocketClosed()
    {
        if (Interlocked.Exchange(ref _descriptorReleased, 1) == 0)
        {
            _budget?.ReleaseSession();
        }
    }

    private async Task RelayFromEndpointAsync()
    {
        try
        {
            while (true)
            {
                // Wait without a buffer: a zero-byte peek completes when a datagram is queued
                // (or with the endpoint's ICMP error) and leaves the datagram in place.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek).ConfigureAwait(false);

                var buffer = _transport.Buffers.Rent();
                try
                {
                    var received = await _socket.ReceiveAsync(buffer.AsMemory(0, UdpListener.BufferSize), SocketFlags.None).ConfigureAwait(false);
                    await _port.ForwardToClientAsync(this, buffer.AsMemory(0, received)).ConfigureAwait(false);
                }
                finally
                {
                    _transport.Buffers.Return(buffer);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed by the table, an update or StopAsync.
        }
        catch (SocketException) when (IsClosed)
        {
            // The pending receive was aborted by our own close.
        }
        catch (Exception ex)
        {
            _port.OnSessionFailed(this, ex);
        }
    }
}

using System.Net;
using System.Net.Sockets;
using ServiceProxy.Balancing;
using ServiceProxy.Hosting;

namespace ServiceProxy.Udp;

/// <summary>
/// One listen socket of a UDP service port: receives client datagrams into one pinned buffer
/// and hands each to the port, and sends the endpoints' answers back to clients, so they come
/// from the very address and port the client sent to.
/// </summary>
internal sealed class UdpListener
{
    /// <summary>
    /// Larger than any UDP payload (65 507 bytes over IPv4, 65 527 over IPv6), so a datagram that
    /// fills the whole buffer can only mean it was cut, and is dropped instead of forwarded.
    /// </summary>
    public const int BufferSize = 64 * 1024;

    private readonly UdpServicePortProxy _port;
    private readonly Socket _socket;
    private readonly UdpTransport _transport;
    private readonly Lock _sendGate = new();
    private Task _loop = Task.CompletedTask;
    private UdpLoopListener? _loopReceiver;

    public UdpListener(UdpServicePortProxy port, int index, Socket socket, UdpTransport transport, IEndpointBalancer balancer, SourceAllowList? allowedSources = null)
    {
        Balancer = balancer;
        AllowedSources = allowedSources;
        _port = port;
        _transport = transport;
        Index = index;
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Position among the port's listeners; part of every session key.</summary>
    public int Index { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Where this listener's new flows are balanced: the port's, or its family's (<see cref="PortBalancers"/>).</summary>
    public IEndpointBalancer Balancer { get; }

    /// <summary>The clients whose new flows this listener accepts; null: every client.</summary>
    public SourceAllowList? AllowedSources { get; }

    /// <summary>The clients whose new flows go to <see cref="PortBalancer"/> (<see cref="Configuration.ListenerConfig.ClusterSources"/>); null: none.</summary>
    public SourceAllowList? ClusterSources { get; init; }

    /// <summary>The port's own balancer, for <see cref="ClusterSources"/> clients; null: <see cref="Balancer"/>.</summary>
    public IEndpointBalancer? PortBalancer { get; init; }

    /// <summary>Where a new flow from <paramref name="client"/> is balanced.</summary>
    public IEndpointBalancer BalancerFor(IPAddress client) =>
        ClusterSources is { } inCluster && PortBalancer is { } port && inCluster.Allows(client) ? port : Balancer;

    /// <summary>The event loop reading this listener, when one does (tests look at it).</summary>
    internal UdpLoopReceiver? LoopReceiver => _loopReceiver;

    /// <summary>A client address buffer of this listener's family (for tests and benchmarks).</summary>
    public SocketAddress CreateAddressBuffer() => new(_socket.AddressFamily);

    /// <summary>Reads on an event loop where there are some (Linux), else on .NET's socket engine.</summary>
    public void Start()
    {
        _loopReceiver = _transport.Receive(_port, this, _socket);
        if (_loopReceiver is null)
        {
            _loop = ReceiveLoopAsync();
        }
    }

    /// <summary>Sends an endpoint's answer to <paramref name="client"/>; every session of this listener calls it, concurrently.</summary>
    /// <remarks>
    /// On Linux this is one non-blocking sendto(2), safe from any thread. Through .NET's engine
    /// (other platforms, and the fallback when the send buffer is full) the calls are serialized
    /// (only the call: the lock is never held across an await) because
    /// .NET 10's <c>Socket.SendToAsync(…, SocketAddress, …)</c> is not safe for concurrent callers on
    /// one socket: it clears its cached event args' address in a <c>finally</c>, after a synchronous
    /// completion may already have handed those args to another thread's send, which then fails
    /// (NullReferenceException, or ArgumentException for e.RemoteEndPoint) and loses the answer.
    /// </remarks>
    public ValueTask<int> SendToClientAsync(ReadOnlyMemory<byte> datagram, SocketAddress client) =>
        _transport.SendAsync(_socket, _loopReceiver, datagram, client, (Listener: this, Client: client), static (s, d) => s.Listener.SendToClientViaEngineAsync(d, s.Client));

    private ValueTask<int> SendToClientViaEngineAsync(ReadOnlyMemory<byte> datagram, SocketAddress client)
    {
        lock (_sendGate)
        {
            return _socket.SendToAsync(datagram, SocketFlags.None, client);
        }
    }

    /// <summary>Closes the socket and waits for the receive loop to end.</summary>
    public Task StopAsync()
    {
        if (_loopReceiver is { } receiver)
        {
            receiver.Stop();
            return receiver.Released; // the loop closes the socket once it has let go
        }

        _socket.Dispose();
        return _loop;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        var client = new SocketAddress(_socket.AddressFamily);
        while (true)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, client).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // An ICMP error about a client we answered (ConnectionReset/Refused on some
                // platforms), a datagram too large for the buffer (MessageSize on Windows), …:
                // the socket itself is fine, so keep listening.
                _port.OnListenerReceiveError(this, ex.SocketErrorCode);
                continue;
            }

            try
            {
                await _port.ForwardFromClientAsync(this, buffer.AsMemory(0, received), client).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _port.OnForwardFailed(this, ex);
            }
        }
    }
}

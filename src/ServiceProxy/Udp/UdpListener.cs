using System.Net;
using System.Net.Sockets;

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
    private Task _loop = Task.CompletedTask;

    public UdpListener(UdpServicePortProxy port, int index, Socket socket)
    {
        _port = port;
        Index = index;
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Position among the port's listeners; part of every session key.</summary>
    public int Index { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>A client address buffer of this listener's family (for tests and benchmarks).</summary>
    public SocketAddress CreateAddressBuffer() => new(_socket.AddressFamily);

    public void Start() => _loop = ReceiveLoopAsync();

    /// <summary>Sends an endpoint's answer to <paramref name="client"/>; every session of this listener calls it, concurrently.</summary>
    /// <remarks>
    /// .NET 10's <c>Socket.SendToAsync(…, SocketAddress, …)</c> clears its cached event args' address in a
    /// <c>finally</c>, after a synchronous completion may already have handed those args to another
    /// thread's send on the same socket; that send then throws NullReferenceException, or
    /// ArgumentException "Null is not a valid value for e.RemoteEndPoint", before any syscall. Nothing was sent, so sending again is correct (seen about once per 10 000 concurrent
    /// answers in UdpDatagramTests.Many_clients_get_every_answer, which lost the answer before this).
    /// </remarks>
    public ValueTask<int> SendToClientAsync(ReadOnlyMemory<byte> datagram, SocketAddress client)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return _socket.SendToAsync(datagram, SocketFlags.None, client);
            }
            catch (Exception ex) when (attempt < 4 && ex is NullReferenceException or ArgumentException { ParamName: "e" })
            {
                // The runtime race above: retry with another (or a fresh) set of event args.
            }
        }
    }

    /// <summary>Closes the socket and waits for the receive loop to end.</summary>
    public Task StopAsync()
    {
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

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>A loopback client socket on port 0 of <paramref name="address"/>.</summary>
internal sealed class UdpTestClient(string address = "127.0.0.1") : IDisposable
{
    // Generous: a reply that never comes fails all the same, and CI runs many socket tests at once.
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);

    private readonly byte[] _buffer = new byte[65536];

    public Socket Socket { get; } = Bind(address);

    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    public Task SendAsync(IPEndPoint to, string text) => SendAsync(to, Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(IPEndPoint to, ReadOnlyMemory<byte> payload) =>
        await Socket.SendToAsync(payload, SocketFlags.None, to);

    /// <summary>The next datagram and its source; fails after <see cref="ReplyTimeout"/>.</summary>
    public async Task<(byte[] Payload, IPEndPoint From)> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? ReplyTimeout);
        var result = await Socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(Socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), cts.Token);
        return (_buffer.AsSpan(0, result.ReceivedBytes).ToArray(), (IPEndPoint)result.RemoteEndPoint);
    }

    public async Task<string> ReceiveTextAsync(TimeSpan? timeout = null) =>
        Encoding.ASCII.GetString((await ReceiveAsync(timeout)).Payload);

    /// <summary>Sends <paramref name="text"/> and returns the id of the endpoint that answered.</summary>
    public async Task<string> AskAsync(IPEndPoint to, string text)
    {
        await SendAsync(to, text);
        var reply = await ReceiveTextAsync();
        Assert.StartsWith(text + "|", reply);
        return reply[(text.Length + 1)..];
    }

    /// <summary>
    /// Like a DNS resolver: resends after 2 s without an answer, up to 3 times. For tests about
    /// something other than loss (table bounds, reconfiguration), where one datagram lost to a
    /// loaded machine is not the behaviour under test; the loss tests use <see cref="AskAsync"/>.
    /// </summary>
    public async Task<string> AskWithRetriesAsync(IPEndPoint to, string text)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SendAsync(to, text);
                var reply = await ReceiveTextAsync(TimeSpan.FromSeconds(2));
                Assert.StartsWith(text + "|", reply);
                return reply[(text.Length + 1)..];
            }
            catch (OperationCanceledException) when (attempt < 3)
            {
            }
        }
    }

    public void Dispose() => Socket.Dispose();

    private static Socket Bind(string address)
    {
        var socket = new Socket(IPAddress.Parse(address).AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 1024 * 1024,
            SendBufferSize = 1024 * 1024,
        };
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return socket;
    }
}

/// <summary>Clients held open together, so each has its own source port.</summary>
internal sealed class UdpTestClients(int count, string address = "127.0.0.1") : IDisposable
{
    private readonly UdpTestClient[] _clients = [.. Enumerable.Range(0, count).Select(_ => new UdpTestClient(address))];

    public UdpTestClient this[int index] => _clients[index];

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}

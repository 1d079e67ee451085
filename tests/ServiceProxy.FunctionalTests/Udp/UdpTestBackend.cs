using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>
/// A UDP endpoint on loopback port 0. Echoes each datagram, or answers "payload|id" so a test
/// can tell which endpoint served it; records every source it heard from.
/// </summary>
internal sealed class UdpTestBackend : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Task _loop;
    private readonly bool _tagReplies;
    private readonly bool _recordSources;
    private int _received;

    /// <param name="recordSources">False keeps the echo loop allocation-free (for allocation tests).</param>
    public UdpTestBackend(string id, bool tagReplies = true, string address = "127.0.0.1", bool recordSources = true)
    {
        Id = id;
        _tagReplies = tagReplies;
        _recordSources = recordSources;
        _socket = new Socket(IPAddress.Parse(address).AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 1024 * 1024,
            SendBufferSize = 1024 * 1024,
        };
        _socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = EchoAsync();
    }

    public string Id { get; }

    public IPEndPoint EndPoint { get; }

    public int Received => Volatile.Read(ref _received);

    public ConcurrentDictionary<IPEndPoint, int> Sources { get; } = new();

    /// <summary>Closes the socket: later datagrams to its port draw ICMP port unreachable.</summary>
    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await _loop;
    }

    private async Task EchoAsync()
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(_socket.AddressFamily);
        var template = new IPEndPoint(IPAddress.Any, 0);
        var suffix = Encoding.ASCII.GetBytes("|" + Id);
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _received);
            if (_recordSources)
            {
                Sources.AddOrUpdate((IPEndPoint)template.Create(from), 1, (_, c) => c + 1);
            }

            var length = n;
            if (_tagReplies)
            {
                suffix.CopyTo(buffer, n);
                length += suffix.Length;
            }

            try
            {
                await _socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, from);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }
}

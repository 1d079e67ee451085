using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.Host.Quickstart;

/// <summary>What <c>dig +short NAME A</c> prints: one A query over UDP, the addresses of its answer.</summary>
internal static class DnsLookup
{
    public static async Task<IReadOnlyList<IPAddress>> QueryAsync(IPEndPoint server, string name, CancellationToken cancellationToken)
    {
        var query = new List<byte> { 0x51, 0x5A, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            query.Add((byte)label.Length);
            query.AddRange(Encoding.ASCII.GetBytes(label));
        }

        query.AddRange([0, 0, 1, 0, 1]);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancellationToken);
        await socket.SendAsync(query.ToArray(), cancellationToken);
        var response = new byte[512];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        var length = await socket.ReceiveAsync(response, timeout.Token);

        // Answers follow the question; each is name (a pointer here), type, class, TTL, length, data.
        var addresses = new List<IPAddress>();
        var at = query.Count;
        for (var i = 0; i < BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(6)) && at + 12 <= length; i++)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(at + 2));
            var dataLength = BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(at + 10));
            if (type == 1 && dataLength == 4 && at + 16 <= length)
            {
                addresses.Add(new IPAddress(response.AsSpan(at + 12, 4)));
            }

            at += 12 + dataLength;
        }

        return addresses;
    }
}

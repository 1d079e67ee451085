using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>
/// Queries that arrive together are answered together (one recvmmsg and one sendmmsg on Linux):
/// every query of a burst gets its own answer, sent to its own client, and a hostile packet in the
/// middle of a burst costs nobody else theirs.
/// </summary>
[Collection(nameof(DnsHostCollection))]
public sealed class DnsBurstTests(DnsHostFixture fixture)
{
    [Fact]
    public async Task Every_query_of_a_burst_from_three_clients_gets_its_own_answer()
    {
        var service = await fixture.Host.Canary.Host.Http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/default/services/myapp");
        var ip = IPAddress.Parse(service!["spec"]!["clusterIP"]!.GetValue<string>());
        var clients = Enumerable.Range(0, 3).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToArray();
        try
        {
            foreach (var client in clients)
            {
                client.ReceiveBufferSize = 1 << 20;
                await client.ConnectAsync(IPAddress.Loopback, fixture.Host.Port);
            }

            // 100 queries per client, sent without waiting; every tenth packet is junk (a runt with
            // no question), which gets no answer and must not take another query's.
            const int PerClient = 100;
            for (var id = 0; id < PerClient; id++)
            {
                foreach (var client in clients)
                {
                    await client.SendAsync(id % 10 == 9 ? new byte[] { 0xFF, 0xFF, 1 } : Query((ushort)id));
                }
            }

            foreach (var client in clients)
            {
                var answered = new HashSet<ushort>();
                var buffer = new byte[512];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                while (answered.Count < PerClient - (PerClient / 10))
                {
                    var length = await client.ReceiveAsync(buffer, timeout.Token);
                    var id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                    Assert.True(answered.Add(id), $"answer {id} came twice");
                    Assert.NotEqual(9, id % 10);
                    Assert.Equal(0, buffer[3] & 0x0F); // NOERROR
                    Assert.Equal(ip.GetAddressBytes(), buffer[(length - 4)..length]); // the A record's address ends the answer
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static byte[] Query(ushort id)
    {
        byte[] name = [5, .. "myapp"u8, 7, .. "default"u8, 3, .. "svc"u8, 7, .. "cluster"u8, 5, .. "local"u8, 0];
        var query = new byte[12 + name.Length + 4];
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        query[2] = 1; // RD
        query[5] = 1; // one question
        name.CopyTo(query, 12);
        query[^3] = 1; // type A
        query[^1] = 1; // class IN
        return query;
    }
}

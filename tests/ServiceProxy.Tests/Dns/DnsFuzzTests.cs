using System.Net;
using CsCheck;
using ServiceProxy.Dns;
using ServiceProxy.Dns.Internal;

namespace ServiceProxy.Tests.Dns;

/// <summary>The query parser and responder on arbitrary bytes: never an exception, and every reply is a response to the query's ID within the size limits.</summary>
public sealed class DnsFuzzTests
{
    private static readonly DnsResponder Responder = CreateResponder();

    private static DnsResponder CreateResponder()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("a", [DnsRecord.A("a.default.svc.cluster.local", IPAddress.Loopback), DnsRecord.Txt("a.default.svc.cluster.local", "x")]);
        zone.Commit();
        return new DnsResponder(zone, forwarding: true, 1232);
    }

    private static void Check(byte[] query, bool udp)
    {
        var response = new byte[65535];
        var outcome = Responder.Respond(query, response, udp, out var length);
        if (outcome == DnsOutcome.Reply)
        {
            Assert.InRange(length, 12, udp ? 1232 : 65535);
            Assert.Equal(query[0..2], response[0..2]);
            Assert.True((response[2] & 0x80) != 0);
        }
        else if (outcome == DnsOutcome.Forward)
        {
            Assert.InRange(length, 17, query.Length);
        }
    }

    [Fact]
    public void Random_bytes_never_throw_and_replies_are_well_formed() =>
        Gen.Byte.Array[0, 600].Sample(query => Check(query, udp: true), iter: 20_000);

    [Fact]
    public void Mutated_valid_queries_never_throw_and_replies_are_well_formed()
    {
        var valid = DnsMessages.Query("a.default.svc.cluster.local", ednsPayload: 4096);
        Gen.Select(Gen.Int[0, valid.Length - 1].Array[1, 4], Gen.Byte.Array[4], Gen.Int[0, 8], Gen.Bool)
            .Sample((positions, values, cut, udp) =>
            {
                var query = valid[..(valid.Length - cut)];
                for (var i = 0; i < positions.Length; i++)
                {
                    if (positions[i] < query.Length)
                    {
                        query[positions[i]] = values[i];
                    }
                }

                Check(query, udp);
            }, iter: 20_000);
    }
}

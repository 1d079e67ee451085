using System.Net;
using ServiceProxy.Dns;
using ServiceProxy.Dns.Internal;
using static ServiceProxy.Tests.Dns.DnsMessages;

namespace ServiceProxy.Tests.Dns;

public sealed class DnsResponderTests
{
    private readonly byte[] _response = new byte[65535];

    private static DnsZone Zone()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("svc/default/myapp",
        [
            DnsRecord.A("myapp.default.svc.cluster.local", IPAddress.Parse("10.96.0.20")),
            DnsRecord.Srv("_http._tcp.myapp.default.svc.cluster.local", 0, 100, 80, "myapp.default.svc.cluster.local"),
        ]);
        zone.SetRecords("svc/default/big", [
            .. Enumerable.Range(1, 200).Select(i => DnsRecord.A("big.default.svc.cluster.local", new IPAddress([10, 1, (byte)(i / 256), (byte)i]))),
            DnsRecord.Srv("_http._tcp.big.default.svc.cluster.local", 0, 100, 80, "big.default.svc.cluster.local"),
        ]);
        zone.SetRecords("ptr", [DnsRecord.Ptr(IPAddress.Parse("10.96.0.20"), "myapp.default.svc.cluster.local")]);
        zone.SetRecords("ns", [DnsRecord.Ns("cluster.local", "ns.dns.cluster.local"), DnsRecord.A("ns.dns.cluster.local", IPAddress.Parse("10.96.0.10"))]);
        zone.Commit();
        return zone;
    }

    private DnsResponse Ask(byte[] query, bool forwarding = false, bool udp = true, DnsZone? zone = null)
    {
        var outcome = new DnsResponder(zone ?? Zone(), forwarding, 1232).Respond(query, _response, udp, out var length);
        return new DnsResponse(outcome, length, outcome == DnsOutcome.Reply ? Read(_response.AsSpan(0, length)) : null);
    }

    [Fact]
    public void A_name_in_the_zone_is_answered_authoritatively_with_the_query_id_and_question_as_sent()
    {
        var query = Query("MyApp.Default.svc.cluster.local", id: 0xBEEF);
        var (outcome, length, response) = Ask(query);

        Assert.Equal(DnsOutcome.Reply, outcome);
        Assert.Equal(0xBEEF, response!.Id);
        Assert.True(response.IsResponse && response.Authoritative);
        Assert.Equal((0, 1, 1, 0), (response.Rcode, response.Questions, response.Answers, response.Authority));
        Assert.Equal(query.AsSpan(12).ToArray(), response.Bytes.AsSpan(12, query.Length - 12).ToArray()); // the question keeps the client's case (0x20)
        Assert.Equal(new byte[] { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 20 }, response.Bytes.AsSpan(query.Length, 16).ToArray());
        Assert.Equal(query.Length + 16, length);
    }

    [Fact]
    public void An_srv_answer_carries_its_targets_addresses_in_the_additional_section()
    {
        var query = Query("_http._tcp.myapp.default.svc.cluster.local", type: 33, ednsPayload: 1232);
        var (_, length, response) = Ask(query);

        Assert.Equal((0, 1, 0, 2), (response!.Rcode, response.Answers, response.Authority, response.Additional)); // the A record and OPT
        var srv = 12 + 6 + Name("myapp.default.svc.cluster.local").Length;
        byte[] expected = [.. Name("myapp.default.svc.cluster.local"), 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 20];
        Assert.Equal(expected, response.Bytes.AsSpan(query.Length - 11 + srv, expected.Length).ToArray());
        Assert.Equal(query.Length + srv + expected.Length, length);
    }

    [Fact]
    public void An_any_query_lists_every_record_type_by_type_in_type_order_and_each_type_as_given()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("multi",
        [
            DnsRecord.Txt("multi.default.svc.cluster.local", "x"),
            DnsRecord.A("multi.default.svc.cluster.local", IPAddress.Parse("10.0.0.2")),
            DnsRecord.Aaaa("multi.default.svc.cluster.local", IPAddress.Parse("fd00::1")),
            DnsRecord.A("multi.default.svc.cluster.local", IPAddress.Parse("10.0.0.1")),
        ]);
        zone.Commit();
        var query = Query("multi.default.svc.cluster.local", type: 255);
        var (_, length, response) = Ask(query, zone: zone);

        Assert.Equal((0, 4), (response!.Rcode, response.Answers));
        var records = new List<(int Type, byte[] Data)>();
        for (var at = query.Length; at < length;)
        {
            var size = (response.Bytes[at + 10] << 8) | response.Bytes[at + 11];
            records.Add(((response.Bytes[at + 2] << 8) | response.Bytes[at + 3], response.Bytes.AsSpan(at + 12, size).ToArray()));
            at += 12 + size;
        }

        Assert.Equal([1, 1, 16, 28], records.Select(r => r.Type));
        Assert.Equal([10, 0, 0, 2], records[0].Data);
        Assert.Equal([10, 0, 0, 1], records[1].Data);
    }

    [Fact]
    public void Srv_records_that_share_a_target_give_its_address_once()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("dup",
        [
            DnsRecord.A("dup.default.svc.cluster.local", IPAddress.Parse("10.0.0.3")),
            DnsRecord.Srv("_http._tcp.dup.default.svc.cluster.local", 0, 50, 80, "dup.default.svc.cluster.local"),
            DnsRecord.Srv("_http._tcp.dup.default.svc.cluster.local", 0, 50, 81, "dup.default.svc.cluster.local"),
        ]);
        zone.Commit();
        var (_, _, response) = Ask(Query("_http._tcp.dup.default.svc.cluster.local", type: 33), zone: zone);

        Assert.Equal((0, 2, 1), (response!.Rcode, response.Answers, response.Additional));
    }

    [Fact]
    public void The_apex_names_its_server_with_the_servers_address_in_the_additional_section()
    {
        var query = Query("cluster.local", type: 2);
        var (_, length, response) = Ask(query);

        Assert.Equal((0, 1, 0, 1), (response!.Rcode, response.Answers, response.Authority, response.Additional));
        var ns = Name("ns.dns.cluster.local");
        Assert.Equal([0xC0, 0x0C, 0, 2, 0, 1, 0, 0, 0, 5, 0, (byte)ns.Length, .. ns], response.Bytes.AsSpan(query.Length, 12 + ns.Length).ToArray());
        Assert.Equal([.. ns, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 10], response.Bytes.AsSpan(query.Length + 12 + ns.Length).ToArray());
        Assert.Equal(query.Length + 12 + ns.Length + ns.Length + 14, length);
    }

    [Fact]
    public void Additional_records_that_do_not_fit_are_left_out_without_truncating()
    {
        var (_, length, response) = Ask(Query("_http._tcp.big.default.svc.cluster.local", type: 33));

        Assert.False(response!.Truncated);
        Assert.Equal(1, response.Answers);
        Assert.InRange(response.Additional, 1, 199);
        Assert.InRange(length, 400, 512);
    }

    [Fact]
    public void A_missing_name_in_the_zone_is_nxdomain_with_the_soa()
    {
        var (_, _, response) = Ask(Query("nope.default.svc.cluster.local"));

        Assert.Equal((3, 0, 1), (response!.Rcode, response.Answers, response.Authority));
        Assert.True(response.Authoritative);
    }

    [Theory]
    [InlineData("myapp.default.svc.cluster.local", 28)] // exists without AAAA
    [InlineData("default.svc.cluster.local", 1)] // above a record: an empty non-terminal
    [InlineData("cluster.local", 1)]
    public void A_name_that_exists_without_the_type_is_nodata_with_the_soa(string name, ushort type)
    {
        var (_, _, response) = Ask(Query(name, type));

        Assert.Equal((0, 0, 1), (response!.Rcode, response.Answers, response.Authority));
    }

    [Fact]
    public void The_apex_answers_its_soa()
    {
        var (_, _, response) = Ask(Query("cluster.local", type: 6));

        Assert.Equal((0, 1, 0), (response!.Rcode, response.Answers, response.Authority));
    }

    [Fact]
    public void Names_outside_the_zone_are_forwarded_or_refused()
    {
        Assert.Equal(DnsOutcome.Forward, Ask(Query("example.com"), forwarding: true).Outcome);

        var (_, _, refused) = Ask(Query("example.com"), forwarding: false);
        Assert.Equal(5, refused!.Rcode);
        Assert.False(refused.RecursionAvailable);
    }

    [Fact]
    public void A_ptr_outside_the_zone_is_answered_when_held_and_forwarded_otherwise()
    {
        Assert.Equal(1, Ask(Query("20.0.96.10.in-addr.arpa", type: 12), forwarding: true).Response!.Answers);
        Assert.Equal(DnsOutcome.Forward, Ask(Query("21.0.96.10.in-addr.arpa", type: 12), forwarding: true).Outcome);
    }

    [Fact]
    public void A_large_answer_is_truncated_over_udp_and_whole_over_tcp()
    {
        var classic = Ask(Query("big.default.svc.cluster.local")).Response!;
        Assert.True(classic.Truncated);
        Assert.Equal(0, classic.Answers);

        var edns = Ask(Query("big.default.svc.cluster.local", ednsPayload: 4096)).Response!;
        Assert.True(edns.Truncated); // 200 × 16 bytes exceed the server's 1232
        Assert.Equal(1, edns.Additional);

        var tcp = Ask(Query("big.default.svc.cluster.local"), udp: false).Response!;
        Assert.False(tcp.Truncated);
        Assert.Equal(200, tcp.Answers);
    }

    [Fact]
    public void Edns_is_answered_with_an_opt_record_and_an_unknown_version_with_badvers()
    {
        var (_, length, response) = Ask(Query("myapp.default.svc.cluster.local", ednsPayload: 1232));
        Assert.Equal((1, 1), (response!.Answers, response.Additional));
        Assert.Equal(41, response.Bytes[length - 11 + 2]);

        var (_, badLength, bad) = Ask(Query("myapp.default.svc.cluster.local", ednsPayload: 1232, ednsVersion: 1));
        Assert.Equal(0, bad!.Answers);
        Assert.Equal(1, bad.Bytes[badLength - 11 + 5]); // extended rcode 16 (BADVERS) = 1 << 4
    }

    [Theory]
    [InlineData(2, 4)] // STATUS: NOTIMP
    [InlineData(5, 4)] // UPDATE: NOTIMP
    public void Other_opcodes_are_not_implemented(int opcode, int rcode) =>
        Assert.Equal(rcode, Ask(Query("myapp.default.svc.cluster.local", opcode: opcode)).Response!.Rcode);

    [Theory]
    [InlineData(3, 1, 5)] // class CHAOS: REFUSED
    [InlineData(1, 252, 5)] // AXFR: REFUSED
    [InlineData(1, 254, 4)] // MAILA: NOTIMP
    [InlineData(1, 41, 1)] // OPT as a question: FORMERR
    public void Unsupported_classes_and_types_are_refused_or_not_implemented(ushort @class, ushort type, int rcode) =>
        Assert.Equal(rcode, Ask(Query("myapp.default.svc.cluster.local", type, @class: @class)).Response!.Rcode);

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "pointer in the question", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1] },
        { "question cut short", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, (byte)'m', (byte)'y'] },
        { "no type and class", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] },
        { "two questions", [0x12, 0x34, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1] },
        { "no question", [0x12, 0x34, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "an answer in a query", [0x12, 0x34, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1] },
        { "trailing bytes", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xFF] },
        { "additional record cut short", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41] },
        { "additional pointing at itself", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0xC0, 17, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0xFF] },
        { "two OPT records", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0] },
        { "a label of 64 bytes", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64, .. new byte[64], 0, 0, 1, 0, 1] },
        { "a name over 255 bytes", [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. Enumerable.Repeat<byte[]>([63, .. new byte[63]], 5).SelectMany(b => b), 0, 0, 1, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_queries_get_formerr_with_their_id(string what, byte[] query)
    {
        var (outcome, _, response) = Ask(query, forwarding: true);

        Assert.True(outcome == DnsOutcome.Reply, what);
        Assert.Equal((0x1234, 1), (response!.Id, response.Rcode));
        Assert.True(response.IsResponse);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x12, 0x34, 1 })]
    [InlineData(new byte[] { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 })] // a response
    public void Runts_and_responses_are_dropped(byte[] message) => Assert.Equal(DnsOutcome.Drop, Ask(message).Outcome);

    [Fact]
    public void Answering_allocates_nothing()
    {
        var zone = Zone();
        var responder = new DnsResponder(zone, forwarding: false, 1232);
        byte[][] queries = [Query("myapp.default.svc.cluster.local"), Query("nope.default.svc.cluster.local"), Query("x.example", ednsPayload: 1232), Query("_http._tcp.myapp.default.svc.cluster.local", 33)];
        foreach (var query in queries)
        {
            responder.Respond(query, _response, udp: true, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            responder.Respond(queries[i % queries.Length], _response, udp: true, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private sealed record DnsResponse(DnsOutcome Outcome, int Length, DnsMessages.Response? Response);
}

using System.Net;
using ServiceProxy.Dns;
using ServiceProxy.Dns.Internal;
using static ServiceProxy.Tests.Dns.DnsMessages;

namespace ServiceProxy.Tests.Dns;

public sealed class DnsZoneTests
{
    private static int Rcode(DnsZone zone, string name, ushort type = 1)
    {
        var response = new byte[65535];
        new DnsResponder(zone, forwarding: false, 1232).Respond(Query(name, type), response, udp: true, out var length);
        return Read(response.AsSpan(0, length)).Rcode;
    }

    [Fact]
    public void Changes_are_seen_only_after_commit()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("s", [DnsRecord.A("a.ns.svc.cluster.local", IPAddress.Loopback)]);
        Assert.Equal(3, Rcode(zone, "a.ns.svc.cluster.local"));

        zone.Commit();
        Assert.Equal(0, Rcode(zone, "a.ns.svc.cluster.local"));
    }

    [Fact]
    public void Removing_the_last_record_below_a_name_makes_the_empty_names_above_it_vanish()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("s1", [DnsRecord.A("a.ns.svc.cluster.local", IPAddress.Loopback)]);
        zone.SetRecords("s2", [DnsRecord.A("b.ns.svc.cluster.local", IPAddress.Loopback)]);
        zone.Commit();
        Assert.Equal(0, Rcode(zone, "ns.svc.cluster.local"));

        zone.RemoveRecords("s1");
        zone.Commit();
        Assert.Equal(0, Rcode(zone, "ns.svc.cluster.local")); // b is still below
        Assert.Equal(3, Rcode(zone, "a.ns.svc.cluster.local"));

        zone.RemoveRecords("s2");
        zone.Commit();
        Assert.Equal(3, Rcode(zone, "ns.svc.cluster.local"));
        Assert.Equal(3, Rcode(zone, "svc.cluster.local"));
        Assert.Equal(0, Rcode(zone, "cluster.local"));
        Assert.Equal(1, zone.NameCount); // the apex alone
    }

    [Fact]
    public void Two_sources_of_one_name_each_keep_their_records()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        zone.SetRecords("s1", [DnsRecord.Ptr(IPAddress.Parse("10.0.0.1"), "a.cluster.local")]);
        zone.SetRecords("s2", [DnsRecord.Ptr(IPAddress.Parse("10.0.0.1"), "b.cluster.local")]);
        zone.RemoveRecords("s1");
        zone.Commit();

        Assert.Equal(0, Rcode(zone, "1.0.0.10.in-addr.arpa", 12));
        Assert.Equal(["b.cluster.local."], zone.GetRecords("s2").Select(r => r.Text));
    }

    [Fact]
    public void Setting_the_same_records_changes_nothing()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        Assert.True(zone.SetRecords("s", [DnsRecord.A("a.cluster.local", IPAddress.Loopback)]));
        Assert.False(zone.SetRecords("s", [DnsRecord.A("A.Cluster.Local.", IPAddress.Loopback)]));
    }

    [Fact]
    public void A_commit_rebuilds_only_the_shards_it_touches()
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        for (var i = 0; i < 2000; i++)
        {
            zone.SetRecords($"s{i}", [DnsRecord.A($"svc{i}.ns.svc.cluster.local", IPAddress.Loopback)]);
        }

        zone.Commit();
        var before = zone.Table.Shards;
        zone.SetRecords("s1", [DnsRecord.A("svc1.ns.svc.cluster.local", IPAddress.IPv6Loopback.MapToIPv4())]);
        zone.Commit();

        var rebuilt = before.Zip(zone.Table.Shards).Count(p => !ReferenceEquals(p.First, p.Second));
        Assert.Equal(1, rebuilt);
    }

    [Fact]
    public void What_a_commit_allocates_does_not_grow_with_the_names_it_did_not_touch()
    {
        var small = CommitAllocation(services: 100);
        var large = CommitAllocation(services: 10_000);

        // With one level of 256 shards, one Service's commit allocated 38 KB among 10 000 Services
        // against 15 KB among 100: it copied each touched shard, a hundred names or more, whole.
        Assert.True(large < small * 1.5, $"one Service's commit allocated {large} bytes among 10 000 Services, {small} among 100");
    }

    /// <summary>Bytes one Service's change and commit allocate, in a zone of that many Services (4 names each, as cluster DNS gives them).</summary>
    private static long CommitAllocation(int services)
    {
        var zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        DnsRecord[] Records(int i, int octet) =>
        [
            DnsRecord.A($"svc{i}.ns.svc.cluster.local", new IPAddress([10, (byte)(i >> 8), (byte)i, (byte)octet])),
            DnsRecord.Srv($"_http._tcp.svc{i}.ns.svc.cluster.local", 0, 100, 80, $"svc{i}.ns.svc.cluster.local"),
            DnsRecord.Ptr($"{octet}.{(byte)i}.{(byte)(i >> 8)}.10.in-addr.arpa", $"svc{i}.ns.svc.cluster.local"),
        ];
        for (var i = 0; i < services; i++)
        {
            zone.SetRecords($"s{i}", Records(i, 1));
        }

        zone.Commit();
        var least = long.MaxValue;
        for (var round = 2; round < 12; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            zone.SetRecords("s7", Records(7, round));
            zone.Commit();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("ünicode.local")]
    public void Invalid_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => DnsRecord.A(name, IPAddress.Loopback));
}

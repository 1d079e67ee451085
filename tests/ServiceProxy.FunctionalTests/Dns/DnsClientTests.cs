using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>Cluster DNS through the <c>DnsClient</c> NuGet package, as a .NET client in a pod would resolve it.</summary>
[Collection(nameof(DnsHostCollection))]
public sealed class DnsClientTests(DnsHostFixture fixture)
{
    private LookupClient Client(bool tcpOnly = false) => new(new LookupClientOptions(new NameServer(IPAddress.Loopback, fixture.Host.Port))
    {
        UseCache = false,
        Retries = 1,
        Timeout = TimeSpan.FromSeconds(3),
        UseTcpOnly = tcpOnly,
        ContinueOnDnsError = false,
        ThrowDnsErrors = false,
    });

    [Fact]
    public async Task Every_record_kind_resolves()
    {
        var client = Client();

        var a = await client.QueryAsync("myapp.default.svc.cluster.local", QueryType.A);
        Assert.Single(a.Answers.ARecords());
        Assert.True(a.Header.HasAuthorityAnswer);

        var headless = await client.QueryAsync("db.default.svc.cluster.local", QueryType.A);
        Assert.Equal(["10.9.0.1", "10.9.0.2"], headless.Answers.ARecords().Select(r => r.Address.ToString()).Order());

        var srv = await client.QueryAsync("_pg._tcp.db.default.svc.cluster.local", QueryType.SRV);
        Assert.Equal(["10-9-0-2.db.default.svc.cluster.local.", "db-0.db.default.svc.cluster.local."], srv.Answers.SrvRecords().Select(r => r.Target.Value).Order());
        Assert.All(srv.Answers.SrvRecords(), r => Assert.Equal(5432, r.Port));

        var cname = await client.QueryAsync("ext.default.svc.cluster.local", QueryType.CNAME);
        Assert.Equal("db.example.org.", Assert.Single(cname.Answers.CnameRecords()).CanonicalName.Value);

        var ptr = await client.QueryReverseAsync(IPAddress.Parse("10.9.0.1"));
        Assert.Equal("db-0.db.default.svc.cluster.local.", Assert.Single(ptr.Answers.PtrRecords()).PtrDomainName.Value);

        var txt = await client.QueryAsync("dns-version.cluster.local", QueryType.TXT);
        Assert.Equal(["1.1.0"], Assert.Single(txt.Answers.TxtRecords()).Text);

        var pod = await client.QueryAsync("10-8-0-7.team.pod.cluster.local", QueryType.A);
        Assert.Equal(IPAddress.Parse("10.8.0.7"), Assert.Single(pod.Answers.ARecords()).Address);

        var soa = await client.QueryAsync("cluster.local", QueryType.SOA);
        Assert.Equal("ns.dns.cluster.local.", Assert.Single(soa.Answers.SoaRecords()).MName.Value);
    }

    [Theory]
    [InlineData("nope.default.svc.cluster.local", QueryType.A, DnsHeaderResponseCode.NotExistentDomain)]
    [InlineData("myapp.default.svc.cluster.local", QueryType.AAAA, DnsHeaderResponseCode.NoError)]
    [InlineData("myapp.default.svc.cluster.local", QueryType.TXT, DnsHeaderResponseCode.NoError)]
    [InlineData("svc.cluster.local", QueryType.A, DnsHeaderResponseCode.NoError)]
    [InlineData("empty.default.svc.cluster.local", QueryType.A, DnsHeaderResponseCode.NoError)]
    [InlineData("x.pod.cluster.local", QueryType.A, DnsHeaderResponseCode.NotExistentDomain)]
    public async Task Negative_answers_are_nxdomain_or_nodata_with_the_soa(string name, QueryType type, DnsHeaderResponseCode code)
    {
        var response = await Client().QueryAsync(name, type);

        Assert.Equal(code, response.Header.ResponseCode);
        Assert.Empty(response.Answers);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(response.Authorities));
        Assert.Equal(5u, soa.Minimum);
        Assert.Equal(5, soa.InitialTimeToLive);
    }

    [Fact]
    public async Task A_large_answer_comes_whole_over_tcp()
    {
        var udp = await Client().QueryAsync("big.default.svc.cluster.local", QueryType.A); // truncated, retried over TCP by the client
        var tcp = await Client(tcpOnly: true).QueryAsync("big.default.svc.cluster.local", QueryType.A);

        Assert.Equal(200, udp.Answers.ARecords().Count());
        Assert.Equal(200, tcp.Answers.ARecords().Count());
    }

    [Fact]
    public async Task Names_outside_the_zone_are_forwarded()
    {
        var response = await Client().QueryAsync("api.example.net", QueryType.A);

        Assert.Equal(FakeUpstream.Address, Assert.Single(response.Answers.ARecords()).Address);
    }
}

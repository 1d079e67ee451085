using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>Every record kind and negative answer of cluster DNS, asked with the real <c>dig</c> of the running host.</summary>
[Collection(nameof(DnsHostCollection))]
public sealed class DnsDigTests(DnsHostFixture fixture)
{
    private int Port => fixture.Host.Port;

    private async Task<string> ClusterIPAsync(string name)
    {
        var service = await fixture.Host.Canary.Host.Http.GetFromJsonAsync<JsonObject>($"/api/v1/namespaces/default/services/{name}");
        return service!["spec"]!["clusterIP"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_service_resolves_to_its_cluster_ip_authoritatively_with_ttl_5()
    {
        var ip = await ClusterIPAsync("myapp");
        var dig = await Dig.RunAsync(Port, "myapp.default.svc.cluster.local", "A");

        Assert.Equal("NOERROR", dig.Status);
        Assert.Contains("aa", dig.Flags);
        Assert.Equal([$"myapp.default.svc.cluster.local. 5 IN A {ip}"], dig.Records);
    }

    [Fact]
    public async Task Named_ports_have_srv_records_and_the_cluster_ip_a_ptr()
    {
        var ip = IPAddress.Parse(await ClusterIPAsync("myapp")).GetAddressBytes();
        var srv = await Dig.RunAsync(Port, "_http._tcp.myapp.default.svc.cluster.local", "SRV");
        var ptr = await Dig.RunAsync(Port, "-x", new IPAddress(ip).ToString());

        Assert.Equal(["_http._tcp.myapp.default.svc.cluster.local. 5 IN SRV 0 100 80 myapp.default.svc.cluster.local."], srv.Records);
        Assert.Equal([$"{ip[3]}.{ip[2]}.{ip[1]}.{ip[0]}.in-addr.arpa. 5 IN PTR myapp.default.svc.cluster.local."], ptr.Records);
    }

    [Fact]
    public async Task A_headless_service_answers_its_ready_endpoints_by_address_hostname_and_srv()
    {
        var all = await Dig.RunAsync(Port, "db.default.svc.cluster.local", "A");
        var host = await Dig.RunAsync(Port, "db-0.db.default.svc.cluster.local", "A");
        var srv = await Dig.RunAsync(Port, "+additional", "_pg._tcp.db.default.svc.cluster.local", "SRV");
        var ptr = await Dig.RunAsync(Port, "-x", "10.9.0.1");
        var notReady = await Dig.RunAsync(Port, "db-2.db.default.svc.cluster.local", "A");

        Assert.Equal(["db.default.svc.cluster.local. 5 IN A 10.9.0.1", "db.default.svc.cluster.local. 5 IN A 10.9.0.2"], all.Records.Order());
        Assert.Equal(["db-0.db.default.svc.cluster.local. 5 IN A 10.9.0.1"], host.Records);
        Assert.Equal(
            [
                "10-9-0-2.db.default.svc.cluster.local. 5 IN A 10.9.0.2",
                "_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 10-9-0-2.db.default.svc.cluster.local.",
                "_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.",
                "db-0.db.default.svc.cluster.local. 5 IN A 10.9.0.1",
            ],
            srv.Records.Order(StringComparer.Ordinal));
        Assert.Equal(["1.0.9.10.in-addr.arpa. 5 IN PTR db-0.db.default.svc.cluster.local."], ptr.Records);
        Assert.Equal("NXDOMAIN", notReady.Status);
    }

    [Fact]
    public async Task An_external_name_service_is_a_cname()
    {
        var dig = await Dig.RunAsync(Port, "ext.default.svc.cluster.local", "A");

        Assert.Equal("NOERROR", dig.Status);
        Assert.Contains("ext.default.svc.cluster.local. 5 IN CNAME db.example.org.", dig.Records);
    }

    [Fact]
    public async Task Pods_and_the_schema_version_resolve()
    {
        var pod = await Dig.RunAsync(Port, "10-8-0-7.team.pod.cluster.local", "A");
        var version = await Dig.RunAsync(Port, "dns-version.cluster.local", "TXT");

        Assert.Equal(["10-8-0-7.team.pod.cluster.local. 5 IN A 10.8.0.7"], pod.Records);
        Assert.Equal(["dns-version.cluster.local. 5 IN TXT \"1.1.0\""], version.Records);
    }

    [Fact]
    public async Task The_apex_names_its_server_and_the_server_has_the_address_it_answers_on()
    {
        var ns = await Dig.RunAsync(Port, "+additional", "cluster.local", "NS");
        var address = await Dig.RunAsync(Port, "ns.dns.cluster.local", "A");

        Assert.Equal(["cluster.local. 5 IN NS ns.dns.cluster.local.", "ns.dns.cluster.local. 5 IN A 127.0.0.1"], ns.Records);
        Assert.Equal(["ns.dns.cluster.local. 5 IN A 127.0.0.1"], address.Records);
    }

    [Theory]
    [InlineData("nope.default.svc.cluster.local", "A", "NXDOMAIN")]
    [InlineData("myapp.nowhere.svc.cluster.local", "A", "NXDOMAIN")]
    [InlineData("myapp.default.svc.cluster.local", "AAAA", "NOERROR")]
    [InlineData("default.svc.cluster.local", "A", "NOERROR")]
    [InlineData("empty.default.svc.cluster.local", "A", "NOERROR")]
    public async Task Negative_answers_carry_the_soa(string name, string type, string status)
    {
        var dig = await Dig.RunAsync(Port, name, type);

        Assert.Equal(status, dig.Status);
        Assert.Equal(["cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local."], dig.Records.Select(r => string.Join(" ", r.Split(" ").Take(6))));
    }

    [Fact]
    public async Task A_large_answer_is_truncated_over_udp_and_dig_retries_over_tcp()
    {
        var udp = await Dig.RunAsync(Port, "+ignore", "big.default.svc.cluster.local", "A");
        var retried = await Dig.RunAsync(Port, "big.default.svc.cluster.local", "A");

        Assert.Contains("tc", udp.Flags);
        Assert.Empty(udp.Records);
        Assert.Equal(200, retried.Records.Count);
        Assert.Contains("retrying in TCP mode", retried.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tcp_answers_as_udp_does()
    {
        var dig = await Dig.RunAsync(Port, "+tcp", "myapp.default.svc.cluster.local", "A");

        Assert.Equal("NOERROR", dig.Status);
        Assert.Single(dig.Records);
    }

    [Fact]
    public async Task Names_outside_the_zone_are_forwarded_to_the_upstream()
    {
        var udp = await Dig.RunAsync(Port, "www.example.org", "A");
        var tcp = await Dig.RunAsync(Port, "+tcp", "www2.example.org", "A");

        Assert.Equal(["www.example.org. 60 IN A 192.0.2.55"], udp.Records);
        Assert.Equal(["www2.example.org. 60 IN A 192.0.2.55"], tcp.Records);
        Assert.Contains("ra", udp.Flags);
    }

    [Fact]
    public async Task A_query_the_upstream_never_answers_gets_servfail()
    {
        var dig = await Dig.RunAsync(Port, "+time=5", "slow.example.org", "A");

        Assert.Equal("SERVFAIL", dig.Status);
    }

    [Fact]
    public async Task A_new_service_resolves_within_100_ms_of_its_creation()
    {
        var body = JsonContent.Create(new { apiVersion = "v1", kind = "Service", metadata = new { name = "fresh" }, spec = new { ports = new[] { new { port = 80 } } } });
        using var created = await fixture.Host.Canary.Host.Http.PostAsync("/api/v1/namespaces/default/services", body);
        created.EnsureSuccessStatusCode();
        var started = System.Diagnostics.Stopwatch.StartNew();
        DigResult dig;
        do
        {
            dig = await Dig.RunAsync(Port, "fresh.default.svc.cluster.local", "A");
        }
        while (dig.Status != "NOERROR" && started.Elapsed < TimeSpan.FromSeconds(5));

        Assert.Equal("NOERROR", dig.Status);
        Assert.Single(dig.Records);

        // The zone is updated before the write's answer is sent; the first dig after it must already see it.
        var again = JsonContent.Create(new { apiVersion = "v1", kind = "Service", metadata = new { name = "fresh2" }, spec = new { ports = new[] { new { port = 80 } } } });
        using var second = await fixture.Host.Canary.Host.Http.PostAsync("/api/v1/namespaces/default/services", again);
        second.EnsureSuccessStatusCode();
        Assert.Equal("NOERROR", (await Dig.RunAsync(Port, "fresh2.default.svc.cluster.local", "A")).Status);
    }
}

/// <summary>One host for the DNS conformance tests: starting it takes seconds.</summary>
public sealed class DnsHostFixture : IAsyncLifetime
{
    internal DnsHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await DnsHost.StartAsync(DnsManifests.Cluster);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(nameof(DnsHostCollection))]
public sealed class DnsHostCollection : ICollectionFixture<DnsHostFixture>;

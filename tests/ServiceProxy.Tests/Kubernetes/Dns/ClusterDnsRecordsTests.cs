using ServiceProxy.Dns;
using ServiceProxy.Dns.Internal;
using ServiceProxy.Kubernetes.Dns;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Tests.Dns;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Dns;

public sealed class ClusterDnsRecordsTests
{
    private static (IObjectStore Store, ClusterDnsRecords Records) Create(ClusterDnsOptions? options = null)
    {
        var store = Store();
        return (store, new ClusterDnsRecords(store, options ?? new ClusterDnsOptions()));
    }

    private static string[] Records(ClusterDnsRecords dns, string source) => [.. dns.Zone.GetRecords(source).Select(r => r.ToString())];

    private static int Rcode(DnsZone zone, string name, ushort type = 1)
    {
        var response = new byte[65535];
        new DnsResponder(zone, forwarding: false, 1232).Respond(DnsMessages.Query(name, type), response, udp: true, out var length);
        return DnsMessages.Read(response.AsSpan(0, length)).Rcode;
    }

    private static Service Headless(string name, bool publishNotReady = false) =>
        Service(name, null, Port(8080, "web")) with { Spec = new ServiceSpec { ClusterIP = "None", Ports = [Port(8080, "web")], PublishNotReadyAddresses = publishNotReady } };

    private static Endpoints EndpointsFor(string name, params EndpointSubset[] subsets) => new() { Metadata = new ObjectMeta { Name = name }, Subsets = subsets };

    [Fact]
    public async Task A_cluster_ip_service_has_its_address_srv_per_named_port_and_ptr()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(Service("myapp", null, Port(80, "http"), Port(81)) with { Spec = new ServiceSpec { ClusterIP = "127.100.0.20", ClusterIPs = ["127.100.0.20"], Ports = [Port(80, "http"), Port(9000, "metrics", "UDP")] } });

        Assert.Equal(
            [
                "myapp.default.svc.cluster.local. IN A 127.100.0.20",
                "20.0.100.127.in-addr.arpa. IN PTR myapp.default.svc.cluster.local.",
                "_http._tcp.myapp.default.svc.cluster.local. IN SRV 0 100 80 myapp.default.svc.cluster.local.",
                "_metrics._udp.myapp.default.svc.cluster.local. IN SRV 0 100 9000 myapp.default.svc.cluster.local.",
            ],
            Records(dns, "svc/default/myapp"));
        Assert.Equal(0, Rcode(dns.Zone, "myapp.default.svc.cluster.local"));
    }

    [Fact]
    public async Task A_dual_stack_service_has_an_a_and_an_aaaa_record_and_a_ptr_for_each_cluster_ip()
    {
        var store = Store(configure: o => o.Allocation.ServiceCidr = "127.100.0.0/16,fd00:10:96::/112");
        using var dns = new ClusterDnsRecords(store, new ClusterDnsOptions());
        var created = await store.CreateAsync(Service("dual", null, Port(80, "http")) with
        {
            Spec = new ServiceSpec { IpFamilyPolicy = "RequireDualStack", Ports = [Port(80, "http")] },
        });
        Assert.Equal(2, created.Spec.ClusterIPs!.Count);

        var records = Records(dns, "svc/default/dual");
        Assert.Contains($"dual.default.svc.cluster.local. IN A {created.Spec.ClusterIPs[0]}", records);
        Assert.Contains($"dual.default.svc.cluster.local. IN AAAA {created.Spec.ClusterIPs[1]}", records);
        Assert.Equal(2, records.Count(r => r.Contains(" IN PTR dual.default.svc.cluster.local.", StringComparison.Ordinal)));
        Assert.Equal(0, Rcode(dns.Zone, "dual.default.svc.cluster.local", type: 28));
    }

    [Fact]
    public async Task A_headless_service_has_each_ready_endpoint_by_address_and_by_name()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(Headless("db"));
        await store.CreateAsync(EndpointsFor("db", new EndpointSubset
        {
            Addresses = [new EndpointAddress { Ip = "10.1.0.1", Hostname = "db-0" }, new EndpointAddress { Ip = "10.1.0.2" }],
            NotReadyAddresses = [new EndpointAddress { Ip = "10.1.0.3", Hostname = "db-2" }],
            Ports = [new EndpointPort { Name = "web", Port = 8080 }],
        }));

        var records = Records(dns, "svc/default/db");
        Assert.Contains("db.default.svc.cluster.local. IN A 10.1.0.1", records);
        Assert.Contains("db.default.svc.cluster.local. IN A 10.1.0.2", records);
        Assert.Contains("db-0.db.default.svc.cluster.local. IN A 10.1.0.1", records);
        Assert.Contains("10-1-0-2.db.default.svc.cluster.local. IN A 10.1.0.2", records);
        Assert.Contains("1.0.1.10.in-addr.arpa. IN PTR db-0.db.default.svc.cluster.local.", records);
        Assert.Contains("_web._tcp.db.default.svc.cluster.local. IN SRV 0 50 8080 db-0.db.default.svc.cluster.local.", records);
        Assert.Contains("_web._tcp.db.default.svc.cluster.local. IN SRV 0 50 8080 10-1-0-2.db.default.svc.cluster.local.", records);
        Assert.DoesNotContain(records, r => r.Contains("10.1.0.3") || r.Contains("db-2"));
        Assert.Equal(3, Rcode(dns.Zone, "db-2.db.default.svc.cluster.local"));
    }

    [Fact]
    public async Task Publish_not_ready_addresses_publishes_the_not_ready_ones_too()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(Headless("db", publishNotReady: true));
        await store.CreateAsync(EndpointsFor("db", new EndpointSubset { NotReadyAddresses = [new EndpointAddress { Ip = "10.1.0.3", Hostname = "db-2" }] }));

        Assert.Contains("db-2.db.default.svc.cluster.local. IN A 10.1.0.3", Records(dns, "svc/default/db"));
    }

    [Fact]
    public void The_endpoints_controller_lists_not_ready_pods_as_ready_when_the_service_publishes_them()
    {
        var service = Headless("db", publishNotReady: true) with { Spec = Headless("db", true).Spec with { Selector = new Dictionary<string, string> { ["app"] = "db" } } };
        var subsets = EndpointsBuilder.Subsets(service, [Pod("db-0", "10.1.0.1", new Dictionary<string, string> { ["app"] = "db" }, ready: false)]);

        Assert.Equal("10.1.0.1", Assert.Single(Assert.Single(subsets).Addresses!).Ip);
    }

    [Fact]
    public async Task A_headless_service_without_endpoints_exists_without_data()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(Headless("empty"));

        Assert.Equal(0, Rcode(dns.Zone, "empty.default.svc.cluster.local"));
        Assert.Equal(0, Rcode(dns.Zone, "empty.default.svc.cluster.local", 28));
    }

    [Fact]
    public async Task An_external_name_service_is_a_cname()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(new Service { Metadata = new ObjectMeta { Name = "ext" }, Spec = new ServiceSpec { Type = ServiceTypes.ExternalName, ExternalName = "Example.COM." } });

        Assert.Equal(["ext.default.svc.cluster.local. IN CNAME example.com."], Records(dns, "svc/default/ext"));
    }

    [Fact]
    public async Task Pods_have_dashed_address_records_in_their_namespace()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(Pod("p", "10.2.3.4", ns: "team"));

        Assert.Equal(["10-2-3-4.team.pod.cluster.local. IN A 10.2.3.4"], Records(dns, "pod/team/p"));
        Assert.Equal(0, Rcode(dns.Zone, "10-2-3-4.team.pod.cluster.local"));
        Assert.Equal(3, Rcode(dns.Zone, "10-2-3-5.team.pod.cluster.local"));
    }

    [Fact]
    public async Task A_new_service_resolves_when_its_write_returns_and_a_deleted_one_is_gone()
    {
        var (store, dns) = Create();
        using var _ = dns;
        await store.CreateAsync(Service("web") with { Spec = new ServiceSpec { ClusterIP = "127.100.0.9", Ports = [Port(80)] } });
        Assert.Equal(0, Rcode(dns.Zone, "web.default.svc.cluster.local"));

        await store.DeleteAsync<Service>("default", "web");
        Assert.Equal(3, Rcode(dns.Zone, "web.default.svc.cluster.local"));
        Assert.Equal(3, Rcode(dns.Zone, "default.svc.cluster.local"));
    }

    [Fact]
    public async Task The_zone_names_its_schema_version_and_follows_the_cluster_domain_and_ttl()
    {
        var (store, dns) = Create(new ClusterDnsOptions { ClusterDomain = "corp.example", Ttl = 30, NameServers = ["127.100.0.10", "0.0.0.0"] });
        using var _ = dns;
        await store.CreateAsync(Service("web") with { Spec = new ServiceSpec { ClusterIP = "127.100.0.9", Ports = [Port(80)] } });

        Assert.Equal(
            ["dns-version.corp.example. IN TXT \"1.1.0\"", "corp.example. IN NS ns.dns.corp.example.", "ns.dns.corp.example. IN A 127.100.0.10"],
            Records(dns, "dns-version"));
        Assert.Equal(0, Rcode(dns.Zone, "web.default.svc.corp.example"));
        Assert.Equal(TimeSpan.FromSeconds(30), dns.Zone.Ttl);
    }

    [Fact]
    public async Task Records_already_in_the_store_are_there_from_the_start()
    {
        var store = Store();
        await store.CreateAsync(Service("web") with { Spec = new ServiceSpec { ClusterIP = "127.100.0.9", Ports = [Port(80)] } });
        using var dns = new ClusterDnsRecords(store, new ClusterDnsOptions());

        Assert.Equal(0, Rcode(dns.Zone, "web.default.svc.cluster.local"));
    }
}

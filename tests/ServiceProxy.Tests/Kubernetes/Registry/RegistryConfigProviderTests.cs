using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class RegistryConfigProviderTests
{
    private static readonly IPAddress Node1 = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Node2 = IPAddress.Parse("192.0.2.2");

    private static (IObjectStore Store, RegistryConfigProvider Provider, FakeLogger<RegistryConfigProvider> Logger) Create(params IPAddress[] nodeAddresses)
    {
        var options = new RegistryOptions { NodeAddresses = nodeAddresses };
        var store = ObjectStore.CreateInMemory(options, new TestValidator());
        var logger = new FakeLogger<RegistryConfigProvider>();
        return (store, new RegistryConfigProvider(store, options, logger), logger);
    }

    private static Service WithSpec(Service service, Func<ServiceSpec, ServiceSpec> change) => service with { Spec = change(service.Spec) };

    private static Endpoints EndpointsFor(string name, params EndpointSubset[] subsets) =>
        new() { Metadata = new ObjectMeta { Name = name }, Subsets = subsets };

    private static string[] Text(IEnumerable<IPEndPoint> endPoints) => [.. endPoints.Select(e => e.ToString())];

    [Fact]
    public async Task Cluster_ip_service_listens_on_its_cluster_ip_and_sends_to_ready_addresses()
    {
        var (store, provider, _) = Create(Node1);
        using var _p = provider;
        var service = await store.CreateAsync(WithSpec(Service("web"), s => s with { ClusterIP = "127.100.0.10", Ports = [Port(80, "http")] }));
        await store.CreateAsync(EndpointsFor("web", new EndpointSubset
        {
            Addresses = [new EndpointAddress { Ip = "10.1.0.2" }, new EndpointAddress { Ip = "10.1.0.1" }],
            NotReadyAddresses = [new EndpointAddress { Ip = "10.1.0.3" }],
            Ports = [new EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }, new EndpointPort { Name = "other", Port = 9, Protocol = "TCP" }],
        }));

        var port = Assert.Single(provider.GetConfig().Ports);
        Assert.Equal(new ServicePortKey("default", "web", "http", TransportProtocol.Tcp), port.Key);
        Assert.Equal(["127.100.0.10:80"], Text(port.ListenEndPoints));
        Assert.Equal(["10.1.0.1:8080", "10.1.0.2:8080"], Text(port.Endpoints));
        Assert.Equal(AffinityConfig.None, port.Affinity);
        Assert.Null(port.UdpIdleTimeout);
        Assert.Equal(store.ResourceVersion, provider.GetConfig().Version);
        Assert.NotNull(service);
    }

    [Fact]
    public async Task Unnamed_service_port_takes_the_unnamed_endpoint_port_of_the_same_protocol()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(WithSpec(Service("dns"), s => s with { Ports = [Port(53, protocol: Protocols.Udp)] }));
        await store.CreateAsync(EndpointsFor("dns", new EndpointSubset
        {
            Addresses = [new EndpointAddress { Ip = "10.1.0.1" }],
            Ports = [new EndpointPort { Port = 5353, Protocol = "TCP" }, new EndpointPort { Port = 5354, Protocol = "UDP" }],
        }));

        var port = Assert.Single(provider.GetConfig().Ports);
        Assert.Equal(TransportProtocol.Udp, port.Key.Protocol);
        Assert.Equal(["10.1.0.1:5354"], Text(port.Endpoints));
    }

    [Fact]
    public async Task Node_port_service_also_listens_on_each_node_address()
    {
        var (store, provider, _) = Create(Node2, Node1);
        using var _p = provider;
        await store.CreateAsync(WithSpec(Service("np", ServiceTypes.NodePort), s => s with { ClusterIP = "127.100.0.11", Ports = [Port(80, nodePort: 30080)] }));

        var port = Assert.Single(provider.GetConfig().Ports);
        Assert.Equal(["127.100.0.11:80", "192.0.2.1:30080", "192.0.2.2:30080"], Text(port.ListenEndPoints));
    }

    [Fact]
    public async Task External_ips_and_ingress_are_listened_on()
    {
        var (store, provider, logger) = Create(Node1);
        using var _p = provider;

        // Another controller's Service: its status stays as written, and its ingress IPs are served, as kube-proxy serves them;
        // spec.loadBalancerIP is that controller's business (kube-proxy never listens on it).
        await store.CreateAsync(WithSpec(Service("lb", ServiceTypes.LoadBalancer), s => s with
        {
            ClusterIP = "127.100.0.12",
            Ports = [Port(443, nodePort: 30443)],
            ExternalIPs = ["198.51.100.7", "not-an-ip"],
            LoadBalancerIP = "203.0.113.5",
            LoadBalancerClass = "example.com/metal",
        }) with
        {
            Status = new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [new LoadBalancerIngress { Ip = "203.0.113.9" }, new LoadBalancerIngress { Hostname = "lb.example" }] } },
        });

        var port = Assert.Single(provider.GetConfig().Ports);
        Assert.Equal(
            ["127.100.0.12:443", "192.0.2.1:30443", "198.51.100.7:443", "203.0.113.9:443"],
            Text(port.ListenEndPoints));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("not-an-ip", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_load_balancer_service_is_listened_on_at_the_address_of_the_pool_it_gets()
    {
        var (store, provider, _) = Create(Node1);
        using var _p = provider;

        await store.CreateAsync(WithSpec(Service("lb", ServiceTypes.LoadBalancer), s => s with { ClusterIP = "127.100.0.12", Ports = [Port(443, nodePort: 30443)], LoadBalancerIP = "127.101.0.5" }));
        await store.CreateAsync(WithSpec(Service("next", ServiceTypes.LoadBalancer), s => s with { ClusterIP = "127.100.0.13", Ports = [Port(443, nodePort: 30444)] }));

        var ports = provider.GetConfig().Ports;
        Assert.Equal(["127.100.0.12:443", "127.101.0.5:443", "192.0.2.1:30443"], Text(ports.Single(p => p.ListenEndPoints.Any(e => e.Port == 30443)).ListenEndPoints));
        Assert.Equal(["127.100.0.13:443", "127.101.0.0:443", "192.0.2.1:30444"], Text(ports.Single(p => p.ListenEndPoints.Any(e => e.Port == 30444)).ListenEndPoints));
    }

    [Fact]
    public async Task Client_ip_affinity_maps_with_the_default_or_given_timeout()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(WithSpec(Service("a"), s => s with { SessionAffinity = SessionAffinities.ClientIP }));
        await store.CreateAsync(WithSpec(Service("b"), s => s with
        {
            SessionAffinity = SessionAffinities.ClientIP,
            SessionAffinityConfig = new SessionAffinityConfig { ClientIP = new ClientIPConfig { TimeoutSeconds = 60 } },
        }));

        var ports = provider.GetConfig().Ports;
        Assert.Equal(AffinityConfig.ForClientIP(10800), ports.Single(p => p.Key.Name == "a").Affinity);
        Assert.Equal(new AffinityConfig(true, TimeSpan.FromSeconds(60)), ports.Single(p => p.Key.Name == "b").Affinity);
    }

    [Fact]
    public async Task Udp_idle_timeout_annotation_applies_to_udp_ports_and_a_bad_value_is_ignored_with_a_warning()
    {
        var (store, provider, logger) = Create();
        using var _p = provider;
        var annotated = Service("dns", null, Port(53, "udp", Protocols.Udp), Port(53, "tcp", Protocols.Tcp));
        await store.CreateAsync(annotated with { Metadata = annotated.Metadata with { Annotations = new Dictionary<string, string> { [RegistryConfigProvider.UdpIdleTimeoutAnnotation] = "1m30s" } } });
        var bad = Service("bad", null, Port(53, protocol: Protocols.Udp));
        await store.CreateAsync(bad with { Metadata = bad.Metadata with { Annotations = new Dictionary<string, string> { [RegistryConfigProvider.UdpIdleTimeoutAnnotation] = "soon" } } });

        var ports = provider.GetConfig().Ports;
        Assert.Equal(TimeSpan.FromSeconds(90), ports.Single(p => p.Key is { Name: "dns", Protocol: TransportProtocol.Udp }).UdpIdleTimeout);
        Assert.Null(ports.Single(p => p.Key is { Name: "dns", Protocol: TransportProtocol.Tcp }).UdpIdleTimeout);
        Assert.Null(ports.Single(p => p.Key.Name == "bad").UdpIdleTimeout);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("\"soon\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("v1", ProxyProtocolVersion.V1)]
    [InlineData("V2", ProxyProtocolVersion.V2)]
    [InlineData("none", ProxyProtocolVersion.None)]
    public async Task Proxy_protocol_annotation_applies_to_tcp_ports(string value, ProxyProtocolVersion expected)
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        var annotated = Service("web", null, Port(80, "http", Protocols.Tcp), Port(53, "dns", Protocols.Udp));
        await store.CreateAsync(annotated with { Metadata = annotated.Metadata with { Annotations = new Dictionary<string, string> { [RegistryConfigProvider.ProxyProtocolAnnotation] = value } } });

        var ports = provider.GetConfig().Ports;
        Assert.Equal(expected, ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp).ProxyProtocol);
        Assert.Equal(ProxyProtocolVersion.None, ports.Single(p => p.Key.Protocol == TransportProtocol.Udp).ProxyProtocol);
    }

    [Fact]
    public async Task A_bad_proxy_protocol_annotation_is_ignored_with_a_warning()
    {
        var (store, provider, logger) = Create();
        using var _p = provider;
        var annotated = Service("web", null, Port(80));
        await store.CreateAsync(annotated with { Metadata = annotated.Metadata with { Annotations = new Dictionary<string, string> { [RegistryConfigProvider.ProxyProtocolAnnotation] = "v3" } } });

        Assert.Equal(ProxyProtocolVersion.None, Assert.Single(provider.GetConfig().Ports).ProxyProtocol);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("\"v3\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Max_connections_annotation_applies_to_tcp_ports_and_a_change_updates_the_port()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        var service = Service("web", null, Port(80, "http", Protocols.Tcp), Port(53, "dns", Protocols.Udp));
        await store.CreateAsync(service with { Metadata = service.Metadata with { Annotations = new Dictionary<string, string> { [RegistryConfigProvider.MaxConnectionsAnnotation] = "100" } } });

        var ports = provider.GetConfig().Ports;
        Assert.Equal(100, ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp).MaxConnections);
        Assert.Null(ports.Single(p => p.Key.Protocol == TransportProtocol.Udp).MaxConnections);

        var before = ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp);
        Assert.NotEqual(before, before with { MaxConnections = 101 });
        Assert.True(before.HasSameListeners(before with { MaxConnections = 101 }));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("ten")]
    [InlineData("1e3")]
    [InlineData(" 10")]
    [InlineData("2147483648")]
    public async Task A_bad_max_connections_annotation_is_ignored_with_a_warning(string value)
    {
        var (store, provider, logger) = Create();
        using var _p = provider;
        var service = Service("web", null, Port(80));
        await store.CreateAsync(service with { Metadata = service.Metadata with { Annotations = new Dictionary<string, string> { [RegistryConfigProvider.MaxConnectionsAnnotation] = value } } });

        Assert.Null(Assert.Single(provider.GetConfig().Ports).MaxConnections);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains($"\"{value}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Headless_external_name_and_sctp_ports_are_not_proxied()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(WithSpec(Service("headless"), s => s with { ClusterIP = "None" }));
        await store.CreateAsync(WithSpec(Service("ext", ServiceTypes.ExternalName), s => s with { ExternalName = "example.com" }));
        await store.CreateAsync(Service("mixed", null, Port(80), Port(38412, "sctp", Protocols.Sctp)));

        var port = Assert.Single(provider.GetConfig().Ports);
        Assert.Equal("mixed", port.Key.Name);
    }

    [Fact]
    public async Task Change_token_fires_on_changes_that_alter_the_snapshot_only()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        var first = provider.GetConfig();

        await store.CreateAsync(Pod("p", "10.1.0.1"));
        Assert.False(first.ChangeToken.HasChanged);
        Assert.Same(first, provider.GetConfig());

        var fired = 0;
        first.ChangeToken.RegisterChangeCallback(_ => fired++, null);
        await store.CreateAsync(Service("web"));
        Assert.True(first.ChangeToken.HasChanged);
        Assert.Equal(1, fired);
        var second = provider.GetConfig();
        Assert.Single(second.Ports);
        Assert.Equal(store.ResourceVersion, second.Version);
        Assert.False(second.ChangeToken.HasChanged);

        // Labels do not change any service port.
        var web = store.Get<Service>("default", "web")!;
        await store.UpdateAsync(web.Labeled("tier=front"));
        Assert.False(second.ChangeToken.HasChanged);

        await store.DeleteAsync<Service>("default", "web");
        Assert.True(second.ChangeToken.HasChanged);
        Assert.Empty(provider.GetConfig().Ports);
    }

    [Fact]
    public async Task Endpoints_controller_and_provider_together_follow_pods()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        using var controller = new EndpointsController(store);
        controller.Start();
        var service = Service("web", null, Port(80, "http", targetPort: 8080));
        await store.CreateAsync(service with { Spec = service.Spec with { Selector = new Dictionary<string, string> { ["app"] = "web" } } });

        await store.CreateAsync(Pod("a", "10.1.0.1").Labeled("app=web"));
        await store.CreateAsync(Pod("b", "10.1.0.2", ready: false).Labeled("app=web"));

        Assert.Equal(["10.1.0.1:8080"], Text(Assert.Single(provider.GetConfig().Ports).Endpoints));
    }

    [Fact]
    public async Task Snapshot_ports_are_ordered_by_namespace_and_name()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(Service("b"));
        await store.CreateAsync(Service("a").In("z"));
        await store.CreateAsync(Service("a"));

        Assert.Equal(["default/a", "default/b", "z/a"], provider.GetConfig().Ports.Select(p => p.Key.ToString()));
    }
}

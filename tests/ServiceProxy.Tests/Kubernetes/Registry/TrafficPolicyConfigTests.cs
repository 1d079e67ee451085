using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>How traffic policies and source ranges become listener groups of the data plane's config.</summary>
public sealed class TrafficPolicyConfigTests
{
    private static readonly IPAddress NodeAddress = IPAddress.Parse("198.18.0.11");

    private static Service Svc(string type, string? external = null, string? @internal = null, string[]? ranges = null, string? ingress = null) => new()
    {
        Metadata = new ObjectMeta { Name = "web", Namespace = "default" },
        Spec = new ServiceSpec
        {
            Type = type,
            ClusterIP = "10.96.0.10",
            ExternalIPs = ["203.0.113.5"],
            ExternalTrafficPolicy = external,
            InternalTrafficPolicy = @internal,
            LoadBalancerSourceRanges = ranges,
            Ports = [new ServicePort { Port = 80, Protocol = "TCP", NodePort = 30080 }],
        },
        Status = ingress is null ? null : new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [new LoadBalancerIngress { Ip = ingress }] } },
    };

    private static readonly Endpoints TwoNodes = new()
    {
        Metadata = new ObjectMeta { Name = "web", Namespace = "default" },
        Subsets =
        [
            new EndpointSubset
            {
                Addresses =
                [
                    new EndpointAddress { Ip = "10.244.1.5", NodeName = "node-a" },
                    new EndpointAddress { Ip = "10.244.2.5", NodeName = "node-b" },
                    new EndpointAddress { Ip = "10.244.3.5" },
                ],
                Ports = [new EndpointPort { Port = 8080, Protocol = "TCP" }],
            },
        ],
    };

    private static ServicePortConfig Build(Service service, string? node = "node-a") =>
        Assert.Single(ServicePortConfigBuilder.Build(service, TwoNodes, [NodeAddress], NullLogger.Instance, node));

    private static string[] Strings(IEnumerable<IPEndPoint>? endPoints) => [.. (endPoints ?? []).Select(e => e.ToString())];

    [Fact]
    public void Policy_Cluster_everywhere_adds_no_group()
    {
        var port = Build(Svc(ServiceTypes.NodePort, external: "Cluster", @internal: "Cluster"));

        Assert.Empty(port.Listeners);
        Assert.Equal(3, port.Endpoints.Length);
    }

    [Fact]
    public void External_Local_gives_node_ports_and_external_IPs_only_this_nodes_endpoints_and_leaves_the_cluster_IP_all()
    {
        var port = Build(Svc(ServiceTypes.NodePort, external: "Local"));

        var group = Assert.Single(port.Listeners);
        Assert.Equal(["198.18.0.11:30080", "203.0.113.5:80"], Strings(group.ListenEndPoints));
        Assert.Equal(["10.244.1.5:8080"], Strings(group.Endpoints));
        Assert.Null(port.ListenerFor(IPEndPoint.Parse("10.96.0.10:80")));
        Assert.Equal(3, port.Endpoints.Length);
    }

    [Fact]
    public void On_a_node_without_local_endpoints_the_group_is_empty()
    {
        var port = Build(Svc(ServiceTypes.NodePort, external: "Local"), node: "node-c");

        Assert.Equal([], Strings(Assert.Single(port.Listeners).Endpoints));
        Assert.NotNull(Assert.Single(port.Listeners).Endpoints);
    }

    [Fact]
    public void Endpoints_without_a_node_name_are_never_local()
    {
        Assert.Equal([], Strings(Assert.Single(Build(Svc(ServiceTypes.NodePort, external: "Local"), node: null).Listeners).Endpoints));
    }

    [Fact]
    public void Internal_Local_gives_the_cluster_IP_only_this_nodes_endpoints()
    {
        var port = Build(Svc(ServiceTypes.ClusterIP, @internal: "Local"), node: "node-b");

        var group = Assert.Single(port.Listeners);
        Assert.Equal(["10.96.0.10:80"], Strings(group.ListenEndPoints));
        Assert.Equal(["10.244.2.5:8080"], Strings(group.Endpoints));
        Assert.Null(port.ListenerFor(IPEndPoint.Parse("203.0.113.5:80")));
    }

    [Fact]
    public void Source_ranges_limit_only_the_load_balancer_IPs()
    {
        var port = Build(Svc(ServiceTypes.LoadBalancer, external: "Cluster", ranges: ["192.0.2.0/24"], ingress: "198.19.0.1"));

        var group = Assert.Single(port.Listeners);
        Assert.Equal(["198.19.0.1:80"], Strings(group.ListenEndPoints));
        Assert.Null(group.Endpoints);
        Assert.Equal([IPNetwork.Parse("192.0.2.0/24")], group.AllowedSources.AsEnumerable());
        Assert.Null(port.ListenerFor(new IPEndPoint(NodeAddress, 30080)));
    }

    [Fact]
    public void Ranges_that_admit_the_node_admit_the_load_balancer_IPs_too()
    {
        var port = Build(Svc(ServiceTypes.LoadBalancer, external: "Cluster", ranges: ["198.18.0.0/24"], ingress: "198.19.0.1"));

        Assert.Equal(["198.18.0.0/24", "198.19.0.1/32"], Assert.Single(port.Listeners).AllowedSources.Select(r => r.ToString()));
    }

    [Fact]
    public void External_Local_with_ranges_gives_the_load_balancer_IPs_local_endpoints_and_the_ranges()
    {
        var port = Build(Svc(ServiceTypes.LoadBalancer, external: "Local", ranges: ["192.0.2.0/24"], ingress: "198.19.0.1"));

        var lb = port.ListenerFor(IPEndPoint.Parse("198.19.0.1:80"))!;
        Assert.Equal(["10.244.1.5:8080"], Strings(lb.Endpoints));
        Assert.Single(lb.AllowedSources);
        var node = port.ListenerFor(new IPEndPoint(NodeAddress, 30080))!;
        Assert.Equal(["10.244.1.5:8080"], Strings(node.Endpoints));
        Assert.Empty(node.AllowedSources);
    }

    [Fact]
    public void External_Local_short_circuits_the_cluster_CIDRs_and_the_node_itself_to_every_endpoint()
    {
        var sources = ClusterCidrs.InClusterSources(ClusterCidrs.Parse("10.244.0.0/16, fd00:10:244::/56"), [NodeAddress]);
        var ports = ServicePortConfigBuilder.Build(
            Svc(ServiceTypes.LoadBalancer, external: "Local", @internal: "Local", ingress: "198.19.0.1"), TwoNodes, [NodeAddress], NullLogger.Instance, "node-a", sources);
        var port = Assert.Single(ports);

        var node = port.ListenerFor(new IPEndPoint(NodeAddress, 30080))!;
        var loadBalancer = port.ListenerFor(IPEndPoint.Parse("198.19.0.1:80"))!;
        Assert.Equal(["10.244.0.0/16", "fd00:10:244::/56", "198.18.0.11/32"], node.ClusterSources.Select(r => r.ToString()));
        Assert.Equal(node.ClusterSources, loadBalancer.ClusterSources);
        // kube-proxy short-circuits external destinations only: internalTrafficPolicy Local stays local for Pods too.
        Assert.Empty(port.ListenerFor(IPEndPoint.Parse("10.96.0.10:80"))!.ClusterSources);
        Assert.All(Assert.Single(ServicePortConfigBuilder.Build(Svc(ServiceTypes.NodePort, external: "Cluster"), TwoNodes, [NodeAddress], NullLogger.Instance, "node-a", sources)).Listeners,
            l => Assert.Empty(l.ClusterSources));
    }

    [Theory]
    [InlineData("10.244.0.0/16,10.245.1.0/24", null)]
    [InlineData("", null)]
    [InlineData("pods", "\"pods\" is not a CIDR (e.g. 10.244.0.0/16)")]
    [InlineData("10.244.0.0/33", "\"10.244.0.0/33\" is not a CIDR (e.g. 10.244.0.0/16)")]
    public void Cluster_CIDRs_are_CIDRs(string text, string? error)
    {
        var parsed = Record.Exception(() => ClusterCidrs.Parse(text));

        Assert.Equal(error, parsed?.Message);
    }

    [Fact]
    public void A_cluster_CIDR_with_host_bits_reads_as_its_network_as_kube_proxy_reads_it()
    {
        Assert.Equal("10.244.0.0/16", Assert.Single(ClusterCidrs.Parse("10.244.1.5/16")).ToString());
    }

    [Fact]
    public void A_local_endpoint_arriving_is_an_endpoint_update_not_a_listener_change()
    {
        var before = Build(Svc(ServiceTypes.NodePort, external: "Local"), node: "node-c");
        var after = Build(Svc(ServiceTypes.NodePort, external: "Local"), node: "node-a");

        Assert.True(after.HasSameListeners(before));
        Assert.NotEqual(after, before);
    }
}

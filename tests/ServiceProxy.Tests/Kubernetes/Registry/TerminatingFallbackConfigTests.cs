using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.HealthChecks;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>
/// kube-proxy's fallback to serving, terminating endpoints (KEP-1669) within each traffic policy's
/// scope: ready endpoints first; when the scope has none, the serving ones whose Pod terminates.
/// </summary>
public sealed class TerminatingFallbackConfigTests
{
    private static readonly IPAddress NodeAddress = IPAddress.Parse("198.18.0.11");

    private static Service Svc(string? external = null, string? @internal = null) => new()
    {
        Metadata = new ObjectMeta { Name = "web", Namespace = "default" },
        Spec = new ServiceSpec
        {
            Type = ServiceTypes.NodePort,
            ClusterIP = "10.96.0.10",
            ExternalTrafficPolicy = external,
            InternalTrafficPolicy = @internal,
            Ports = [new ServicePort { Port = 80, Protocol = "TCP", NodePort = 30080 }],
        },
    };

    // Ready on node-a: 10.244.1.5. Terminating but serving: 10.244.1.6 (node-a), 10.244.2.6 (node-b).
    // Terminating and no longer serving, or merely not ready: 10.244.2.7 (node-b), in no annotation.
    private static Endpoints Pods(bool withReady, string servingTerminating = "10.244.1.6,10.244.2.6") => new()
    {
        Metadata = new ObjectMeta
        {
            Name = "web",
            Namespace = "default",
            Annotations = new Dictionary<string, string> { [ServingTerminating.Annotation] = servingTerminating },
        },
        Subsets =
        [
            new EndpointSubset
            {
                Addresses = withReady ? [new EndpointAddress { Ip = "10.244.1.5", NodeName = "node-a" }] : null,
                NotReadyAddresses =
                [
                    new EndpointAddress { Ip = "10.244.1.6", NodeName = "node-a" },
                    new EndpointAddress { Ip = "10.244.2.6", NodeName = "node-b" },
                    new EndpointAddress { Ip = "10.244.2.7", NodeName = "node-b" },
                ],
                Ports = [new EndpointPort { Port = 8080, Protocol = "TCP" }],
            },
        ],
    };

    private static ServicePortConfig Build(Service service, Endpoints endpoints, string node = "node-a") =>
        Assert.Single(ServicePortConfigBuilder.Build(service, endpoints, [NodeAddress], NullLogger.Instance, node));

    private static string[] Strings(IEnumerable<IPEndPoint>? endPoints) => [.. (endPoints ?? []).Select(e => e.ToString())];

    [Fact]
    public void A_ready_endpoint_anywhere_keeps_the_terminating_ones_out()
    {
        Assert.Equal(["10.244.1.5:8080"], Strings(Build(Svc(), Pods(withReady: true)).Endpoints));
    }

    [Fact]
    public void With_no_ready_endpoint_the_port_sends_to_every_serving_terminating_one_and_never_to_the_rest()
    {
        Assert.Equal(["10.244.1.6:8080", "10.244.2.6:8080"], Strings(Build(Svc(), Pods(withReady: false)).Endpoints));
    }

    [Fact]
    public void Without_the_annotation_not_ready_endpoints_stay_unused()
    {
        var endpoints = Pods(withReady: false) with { Metadata = new ObjectMeta { Name = "web", Namespace = "default" } };

        Assert.Empty(Build(Svc(), endpoints).Endpoints);
    }

    [Fact]
    public void External_Local_falls_back_to_this_nodes_terminating_endpoint_while_the_cluster_IP_keeps_the_ready_one()
    {
        var port = Build(Svc(external: "Local"), Pods(withReady: true), node: "node-b");

        Assert.Equal(["10.244.2.6:8080"], Strings(port.ListenerFor(new IPEndPoint(NodeAddress, 30080))!.Endpoints));
        Assert.Equal(["10.244.1.5:8080"], Strings(port.Endpoints));
    }

    [Fact]
    public void External_Local_prefers_this_nodes_ready_endpoint()
    {
        var port = Build(Svc(external: "Local"), Pods(withReady: true), node: "node-a");

        Assert.Equal(["10.244.1.5:8080"], Strings(port.ListenerFor(new IPEndPoint(NodeAddress, 30080))!.Endpoints));
    }

    [Fact]
    public void Internal_Local_on_a_node_with_neither_refuses()
    {
        var port = Build(Svc(@internal: "Local"), Pods(withReady: true), node: "node-c");

        Assert.Equal([], Strings(port.ListenerFor(IPEndPoint.Parse("10.96.0.10:80"))!.Endpoints));
    }

    [Fact]
    public void The_annotation_tolerates_spaces_and_ignores_addresses_the_endpoints_do_not_hold()
    {
        var endpoints = Pods(withReady: false, servingTerminating: " 10.244.2.6 , fd00::1");

        Assert.Equal(["10.244.2.6:8080"], Strings(Build(Svc(), endpoints).Endpoints));
    }

    [Fact]
    public void The_health_check_counts_only_ready_local_endpoints_so_a_node_with_only_terminating_ones_fails_it()
    {
        Assert.Equal(0, HealthCheckServer.CountLocal(Pods(withReady: true), "node-b"));
        Assert.Equal(1, HealthCheckServer.CountLocal(Pods(withReady: true), "node-a"));
    }
}

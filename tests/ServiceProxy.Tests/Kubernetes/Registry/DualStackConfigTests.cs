using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class DualStackConfigTests
{
    private static Service Svc(params string[] families) => new()
    {
        Metadata = new ObjectMeta { Name = "web", Namespace = "default" },
        Spec = new ServiceSpec
        {
            Type = ServiceTypes.NodePort,
            ClusterIP = "127.100.0.10",
            ClusterIPs = families.Length == 2 ? ["127.100.0.10", "fd00:10:96::10"] : ["127.100.0.10"],
            IpFamilies = families,
            Ports = [new ServicePort { Port = 80, Protocol = "TCP", NodePort = 30080 }],
        },
    };

    private static readonly Endpoints Mixed = new()
    {
        Metadata = new ObjectMeta { Name = "web", Namespace = "default" },
        Subsets = [new EndpointSubset { Addresses = [new EndpointAddress { Ip = "10.0.0.1" }, new EndpointAddress { Ip = "fd00::1" }], Ports = [new EndpointPort { Port = 8080, Protocol = "TCP" }] }],
    };

    [Fact]
    public void A_dual_stack_service_listens_on_each_cluster_ip_and_node_address_and_splits_endpoints_by_family()
    {
        var port = Assert.Single(ServicePortConfigBuilder.Build(Svc("IPv4", "IPv6"), Mixed, [IPAddress.Loopback, IPAddress.IPv6Loopback], NullLogger.Instance));

        Assert.True(port.EndpointsByFamily);
        Assert.Equal(["127.0.0.1:30080", "127.100.0.10:80", "[::1]:30080", "[fd00:10:96::10]:80"], port.ListenEndPoints.Select(e => e.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(2, port.Endpoints.Length);
    }

    [Fact]
    public void A_single_stack_service_sends_every_client_to_every_endpoint()
    {
        var port = Assert.Single(ServicePortConfigBuilder.Build(Svc("IPv4"), Mixed, [IPAddress.Loopback], NullLogger.Instance));

        Assert.False(port.EndpointsByFamily);
    }
}

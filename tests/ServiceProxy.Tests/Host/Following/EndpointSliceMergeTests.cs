using k8s.Models;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Host.Following;

public sealed class EndpointSliceMergeTests
{
    [Fact]
    public void Slices_of_one_service_merge_into_one_subset_per_port_list()
    {
        var http = new List<Discoveryv1EndpointPort> { new() { Name = "http", Port = 8080, Protocol = "TCP" }, new() { Name = "metrics", Port = 9090, Protocol = "TCP" } };
        var slices = new[]
        {
            Slice("web-abcde", "IPv4", http, Endpoint("10.0.0.2", ready: true, node: "node-a", hostname: "web-0"), Endpoint("10.0.0.1", ready: null, node: "node-b")),
            // The ports in another order are the same port list.
            Slice("web-fghij", "IPv4", [http[1], http[0]], Endpoint("10.0.0.3", ready: false, node: "node-c", terminating: true)),
            Slice("web-klmno", "IPv4", [new() { Name = "dns", Port = 53, Protocol = "UDP" }], Endpoint("10.0.0.9", ready: true, node: "node-a")),
            Slice("web-fqdn1", "FQDN", http, Endpoint("example.com", ready: true, node: null)),
        };

        var endpoints = EndpointSliceMerge.Merge("shop", "web", slices);

        Assert.Equal(("shop", "web"), (endpoints.Metadata.Namespace, endpoints.Metadata.Name));
        Assert.Equal(2, endpoints.Subsets!.Count);
        var web = endpoints.Subsets.Single(s => s.Ports!.Count == 2);
        Assert.Equal(["http", "metrics"], web.Ports!.Select(p => p.Name));
        Assert.Equal([8080, 9090], web.Ports!.Select(p => p.Port));
        // Ready, or ready unset (unknown reads as ready), sorted by address; not ready (terminating) apart.
        Assert.Equal(["10.0.0.1", "10.0.0.2"], web.Addresses!.Select(a => a.Ip));
        Assert.Equal(["node-b", "node-a"], web.Addresses!.Select(a => a.NodeName));
        Assert.Equal("web-0", web.Addresses![1].Hostname);
        Assert.Equal("Pod", web.Addresses![1].TargetRef!.Kind);
        Assert.Equal("pod-10.0.0.2", web.Addresses![1].TargetRef!.Name);
        Assert.Equal(["10.0.0.3"], web.NotReadyAddresses!.Select(a => a.Ip));
        Assert.Equal("node-c", web.NotReadyAddresses![0].NodeName);

        var dns = endpoints.Subsets.Single(s => s.Ports!.Count == 1);
        Assert.Equal(("dns", 53, "UDP"), (dns.Ports![0].Name, dns.Ports[0].Port, dns.Ports[0].Protocol));
        Assert.Equal(["10.0.0.9"], dns.Addresses!.Select(a => a.Ip));
        Assert.Null(dns.NotReadyAddresses);
    }

    [Fact]
    public void An_address_in_two_slices_is_kept_once_and_ready_if_either_says_so()
    {
        var ports = new List<Discoveryv1EndpointPort> { new() { Port = 80, Protocol = "TCP", Name = "" } };
        var endpoints = EndpointSliceMerge.Merge("default", "web", [
            Slice("a", "IPv4", ports, Endpoint("10.0.0.1", ready: false, node: "n1")),
            Slice("b", "IPv4", ports, Endpoint("10.0.0.1", ready: true, node: "n1")),
            Slice("c", "IPv4", ports, Endpoint("10.0.0.1", ready: false, node: "n1"))]);

        var subset = Assert.Single(endpoints.Subsets!);
        Assert.Equal(["10.0.0.1"], subset.Addresses!.Select(a => a.Ip));
        Assert.Null(subset.NotReadyAddresses);
        // An unnamed port matches the Service's unnamed port.
        Assert.Null(subset.Ports![0].Name);
    }

    [Fact]
    public void Terminating_endpoints_that_still_serve_are_named_in_the_annotation_as_kube_proxy_reads_the_conditions()
    {
        var ports = new List<Discoveryv1EndpointPort> { new() { Port = 80, Protocol = "TCP", Name = "" } };
        var draining = Endpoint("10.0.0.2", ready: false, node: "n1", terminating: true);
        draining.Conditions.Serving = true;
        var unknownServing = Endpoint("10.0.0.3", ready: false, node: "n1", terminating: true);
        unknownServing.Conditions.Serving = null;
        var stopped = Endpoint("10.0.0.4", ready: false, node: "n1", terminating: true);
        stopped.Conditions.Serving = false;
        var starting = Endpoint("10.0.0.5", ready: false, node: "n1");
        starting.Conditions.Serving = true;

        var endpoints = EndpointSliceMerge.Merge("default", "web", [
            Slice("a", "IPv4", ports, Endpoint("10.0.0.1", ready: true, node: "n1"), draining, unknownServing, stopped, starting)]);

        // Serving unset reads as serving; a Pod that is merely not ready (not terminating) is not named.
        Assert.Equal("10.0.0.2,10.0.0.3", endpoints.Metadata.Annotations![ServingTerminating.Annotation]);
        Assert.Equal(["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"], Assert.Single(endpoints.Subsets!).NotReadyAddresses!.Select(a => a.Ip));
        Assert.Null(EndpointSliceMerge.Merge("default", "web", [Slice("a", "IPv4", ports, Endpoint("10.0.0.1", ready: true, node: "n1"))]).Metadata.Annotations);
    }

    [Fact]
    public void The_same_slices_in_any_order_give_the_same_endpoints()
    {
        var ports = new List<Discoveryv1EndpointPort> { new() { Name = "http", Port = 80, Protocol = "TCP" } };
        V1EndpointSlice[] slices = [Slice("a", "IPv4", ports, Endpoint("10.0.0.2", true, "n")), Slice("b", "IPv6", ports, Endpoint("fd00::1", true, "n"))];
        var one = System.Text.Json.JsonSerializer.Serialize(EndpointSliceMerge.Merge("default", "web", slices), ServiceProxy.Kubernetes.Model.KubeJson.Options);
        var other = System.Text.Json.JsonSerializer.Serialize(EndpointSliceMerge.Merge("default", "web", slices.Reverse()), ServiceProxy.Kubernetes.Model.KubeJson.Options);
        Assert.Equal(one, other);
        Assert.Contains("fd00::1", one, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slice_belongs_to_the_service_its_label_names()
    {
        var slice = Slice("web-abcde", "IPv4", [], Endpoint("10.0.0.1", true, null));
        Assert.Equal(("shop", "web"), EndpointSliceMerge.ServiceOf(slice));
        slice.Metadata.Labels.Clear();
        Assert.Null(EndpointSliceMerge.ServiceOf(slice));
    }

    private static V1EndpointSlice Slice(string name, string family, List<Discoveryv1EndpointPort> ports, params V1Endpoint[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "shop", Labels = new Dictionary<string, string> { [EndpointSliceMerge.ServiceNameLabel] = "web" } },
        AddressType = family,
        Ports = ports,
        Endpoints = [.. endpoints],
    };

    private static V1Endpoint Endpoint(string ip, bool? ready, string? node, string? hostname = null, bool terminating = false) => new()
    {
        Addresses = [ip],
        Conditions = new V1EndpointConditions { Ready = ready, Serving = ready ?? true, Terminating = terminating },
        NodeName = node,
        Hostname = hostname,
        TargetRef = new V1ObjectReference { Kind = "Pod", Name = "pod-" + ip, NamespaceProperty = "shop" },
    };
}

using System.Net;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Tests.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

/// <summary>Cluster IP and node port allocation, through the store as the API uses it.</summary>
public sealed class ServiceAllocationTests
{
    private static IObjectStore SmallStore() => Store(configure: o =>
    {
        o.Allocation.ServiceCidr = "10.0.0.0/29";
        o.Allocation.NodePortRange = "30000-30002";
    });

    private static InMemoryObjectStore Inner(IObjectStore store) => (InMemoryObjectStore)store;

    [Fact]
    public async Task Unset_cluster_ip_is_allocated_from_the_default_loopback_range()
    {
        var store = Store();

        var created = await store.CreateAsync(Service("web"));

        var ip = IPAddress.Parse(created.Spec.ClusterIP!);
        Assert.Equal([created.Spec.ClusterIP!], created.Spec.ClusterIPs);
        Assert.Equal(["IPv4"], created.Spec.IpFamilies);
        Assert.Equal(127, ip.GetAddressBytes()[0]);
        Assert.Equal(100, ip.GetAddressBytes()[1]);
        Assert.True(Inner(store).Allocator.IsClusterIPAllocated(ip));
    }

    [Fact]
    public async Task Explicit_cluster_ip_outside_the_range_is_refused_with_kubernetes_wording()
    {
        var store = Store();

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("web") with { Spec = Service("web").Spec with { ClusterIP = "10.0.0.1" } }));

        Assert.Equal(StoreErrorReason.Invalid, error.Reason);
        var cause = Assert.Single(error.Causes);
        Assert.Equal("spec.clusterIPs", cause.Field);
        Assert.Equal(
            "spec.clusterIPs: Invalid value: []string{\"10.0.0.1\"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 127.100.0.0/16",
            cause.ToString());
        Assert.StartsWith("Service \"web\" is invalid: spec.clusterIPs: Invalid value", error.Message);
        Assert.Empty(store.List<Service>().Items);
    }

    [Fact]
    public async Task Explicit_cluster_ip_already_taken_is_refused()
    {
        var store = Store();
        var first = await store.CreateAsync(Service("a"));

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("b") with { Spec = Service("b").Spec with { ClusterIP = first.Spec.ClusterIP } }));

        Assert.EndsWith($"failed to allocate IP {first.Spec.ClusterIP}: provided IP is already allocated", Assert.Single(error.Causes).ToString());
    }

    [Fact]
    public async Task Explicit_free_cluster_ip_is_kept()
    {
        var store = Store();

        var created = await store.CreateAsync(Service("a") with { Spec = Service("a").Spec with { ClusterIP = "127.100.3.4", ClusterIPs = ["127.100.3.4"] } });

        Assert.Equal("127.100.3.4", created.Spec.ClusterIP);
    }

    [Fact]
    public async Task Headless_and_external_name_services_get_no_cluster_ip()
    {
        var store = SmallStore();

        var headless = await store.CreateAsync(Service("h") with { Spec = Service("h").Spec with { ClusterIP = "None" } });
        var external = await store.CreateAsync(Service("e", type: ServiceTypes.ExternalName) with { Spec = Service("e").Spec with { Type = ServiceTypes.ExternalName, ExternalName = "example.com" } });

        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.Null(external.Spec.ClusterIP);
        Assert.Equal(6, FreeClusterIPs(store));
    }

    [Fact]
    public async Task Exhausted_cidr_gives_range_is_full_and_delete_frees_an_address()
    {
        var store = SmallStore();
        for (var i = 0; i < 6; i++)
        {
            await store.CreateAsync(Service($"s{i}"));
        }

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("full")));
        Assert.Equal(StoreErrorReason.Invalid, error.Reason);
        Assert.Contains("failed to allocate a serviceIP: range is full", error.Message);
        var ips = store.List<Service>().Items.Select(s => s.Spec.ClusterIP).ToHashSet();
        Assert.Equal(6, ips.Count);
        Assert.DoesNotContain("10.0.0.0", ips);
        Assert.DoesNotContain("10.0.0.7", ips);

        var freed = (await store.DeleteAsync<Service>("default", "s3")).Spec.ClusterIP;
        Assert.Equal(freed, (await store.CreateAsync(Service("again"))).Spec.ClusterIP);
    }

    [Fact]
    public async Task Node_ports_are_allocated_for_node_port_and_load_balancer_services_only()
    {
        var store = Store();

        var clusterIP = await store.CreateAsync(Service("c"));
        var nodePort = await store.CreateAsync(Service("n", type: ServiceTypes.NodePort, Port(80), Port(443, "https")));
        var loadBalancer = await store.CreateAsync(Service("l", type: ServiceTypes.LoadBalancer));

        Assert.Equal(0, clusterIP.Spec.Ports![0].NodePort);
        Assert.All(nodePort.Spec.Ports!, p => Assert.InRange(p.NodePort, 30000, 32767));
        Assert.NotEqual(nodePort.Spec.Ports![0].NodePort, nodePort.Spec.Ports[1].NodePort);
        Assert.InRange(loadBalancer.Spec.Ports![0].NodePort, 30000, 32767);
    }

    [Fact]
    public async Task Explicit_node_port_out_of_range_is_refused_with_kubernetes_wording()
    {
        var store = Store();

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("n", type: ServiceTypes.NodePort, Port(80, nodePort: 40000))));

        Assert.Equal(
            "spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767",
            Assert.Single(error.Causes).ToString());
        Assert.Equal(0, FreeClusterIPs(store) - 65534);
    }

    [Fact]
    public async Task Node_port_is_taken_per_protocol_and_one_service_may_share_it_across_protocols()
    {
        var store = Store();
        await store.CreateAsync(Service("dns", type: ServiceTypes.NodePort, Port(53, "dns-tcp", Protocols.Tcp, 30053), Port(53, "dns-udp", Protocols.Udp, 30053)));

        var tcpClash = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("other", type: ServiceTypes.NodePort, Port(80, nodePort: 30053))));
        Assert.Equal("spec.ports[0].nodePort: Invalid value: 30053: provided port is already allocated", Assert.Single(tcpClash.Causes).ToString());

        var sctp = await store.CreateAsync(Service("sctp", type: ServiceTypes.NodePort, Port(80, protocol: Protocols.Sctp, nodePort: 30053)));
        Assert.Equal(30053, sctp.Spec.Ports![0].NodePort);
    }

    [Fact]
    public async Task Unset_node_ports_of_a_tcp_and_udp_pair_get_the_same_number()
    {
        var store = Store();

        var dns = await store.CreateAsync(Service("dns", type: ServiceTypes.NodePort, Port(53, "tcp", Protocols.Tcp), Port(53, "udp", Protocols.Udp)));

        Assert.Equal(dns.Spec.Ports![0].NodePort, dns.Spec.Ports[1].NodePort);
    }

    [Fact]
    public async Task Exhausted_port_range_gives_range_is_full_and_rolls_back_the_cluster_ip()
    {
        var store = SmallStore();
        await store.CreateAsync(Service("n", type: ServiceTypes.NodePort, Port(1), Port(2), Port(3)));
        var free = FreeClusterIPs(store);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("m", type: ServiceTypes.NodePort)));

        Assert.Equal("spec.ports[0].nodePort: Forbidden: failed to allocate a nodePort: range is full", Assert.Single(error.Causes).ToString());
        Assert.Equal(free, FreeClusterIPs(store));
    }

    [Fact]
    public async Task Failed_write_releases_what_it_allocated()
    {
        var store = SmallStore();
        await store.CreateAsync(Service("a", type: ServiceTypes.NodePort, Port(80, nodePort: 30001)));

        // The first port allocates 30000 before the second one fails on 30001.
        await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("b", type: ServiceTypes.NodePort, Port(80, nodePort: 30000), Port(81, nodePort: 30001))));

        Assert.False(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, 30000));
        Assert.Equal(5, FreeClusterIPs(store));
        Assert.Equal(30000, (await store.CreateAsync(Service("c", type: ServiceTypes.NodePort, Port(80, nodePort: 30000)))).Spec.Ports![0].NodePort);
    }

    [Fact]
    public async Task Delete_releases_cluster_ip_and_node_ports()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Service("a", type: ServiceTypes.NodePort, Port(80), Port(81)));

        await store.DeleteAsync<Service>("default", "a");

        Assert.Equal(6, FreeClusterIPs(store));
        Assert.All(created.Spec.Ports!, p => Assert.False(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, p.NodePort)));
    }

    [Fact]
    public async Task Dry_run_allocates_nothing()
    {
        var store = SmallStore();

        var preview = await store.CreateAsync(Service("a", type: ServiceTypes.NodePort), new WriteOptions { DryRun = true });

        Assert.NotNull(preview.Spec.ClusterIP);
        Assert.NotEqual(0, preview.Spec.Ports![0].NodePort);
        Assert.Null(preview.Metadata.ResourceVersion);
        Assert.Equal(6, FreeClusterIPs(store));
        Assert.False(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, preview.Spec.Ports[0].NodePort));
        Assert.Null(store.Get<Service>("default", "a"));
        Assert.Equal(0, store.ResourceVersion);
    }

    [Fact]
    public async Task Update_keeps_cluster_ip_and_node_ports_of_ports_that_still_exist()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Service("a", type: ServiceTypes.NodePort, Port(80, "http"), Port(443, "https")));
        var httpNodePort = created.Spec.Ports![0].NodePort;
        var httpsNodePort = created.Spec.Ports[1].NodePort;

        // A client replacing the object without the allocated fields, dropping https, adding metrics.
        var updated = await store.UpdateAsync(Service("a", type: ServiceTypes.NodePort, Port(8080, "http"), Port(9090, "metrics")));

        Assert.Equal(created.Spec.ClusterIP, updated.Spec.ClusterIP);
        Assert.Equal(httpNodePort, updated.Spec.Ports![0].NodePort);
        var metricsNodePort = updated.Spec.Ports[1].NodePort;
        Assert.InRange(metricsNodePort, 30000, 30002);
        Assert.True(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, httpNodePort));
        Assert.True(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, metricsNodePort));
        Assert.Equal(metricsNodePort == httpsNodePort, Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, httpsNodePort));
        Assert.Equal(5, FreeClusterIPs(store));
    }

    [Fact]
    public async Task Type_change_to_cluster_ip_releases_node_ports()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Service("a", type: ServiceTypes.NodePort, Port(80)));

        // As kubectl apply sends it: the old nodePort carried over in the patched object.
        var updated = await store.UpdateAsync(created with { Spec = created.Spec with { Type = ServiceTypes.ClusterIP } });

        Assert.Equal(0, updated.Spec.Ports![0].NodePort);
        Assert.False(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, created.Spec.Ports![0].NodePort));
        Assert.Equal(created.Spec.ClusterIP, updated.Spec.ClusterIP);
    }

    [Fact]
    public async Task Node_port_on_a_cluster_ip_service_is_forbidden()
    {
        var store = Store();

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("a", null, Port(80, nodePort: 30080))));

        Assert.Equal("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'", Assert.Single(error.Causes).ToString());
    }

    [Fact]
    public async Task Type_change_to_external_name_releases_the_cluster_ip()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Service("a"));

        await store.UpdateAsync(created with { Spec = created.Spec with { Type = ServiceTypes.ExternalName, ExternalName = "example.com" } });

        Assert.Equal(6, FreeClusterIPs(store));
        var external = store.Get<Service>("default", "a")!.Spec;
        Assert.Null(external.ClusterIP);
        Assert.Null(external.ClusterIPs);
        Assert.Null(external.IpFamilies);
        Assert.Null(external.IpFamilyPolicy);
    }

    [Fact]
    public async Task Failed_update_keeps_the_old_allocations()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Service("a", type: ServiceTypes.NodePort, Port(80, nodePort: 30000)));
        await store.CreateAsync(Service("b", type: ServiceTypes.NodePort, Port(80, nodePort: 30002)));
        var old = created.Spec.Ports![0].NodePort;

        await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.UpdateAsync(Service("a", type: ServiceTypes.NodePort, Port(81, "x", nodePort: 30002))));

        Assert.True(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, old));
        Assert.Equal(old, store.Get<Service>("default", "a")!.Spec.Ports![0].NodePort);
    }

    [Fact]
    public async Task Configured_ipv4_and_ipv6_ranges_are_used()
    {
        var wide = Store(configure: o => o.Allocation.ServiceCidr = "10.96.0.0/12");
        var v6 = Store(configure: o => o.Allocation.ServiceCidr = "fd00:10:96::/112");

        var a = IPAddress.Parse((await wide.CreateAsync(Service("a"))).Spec.ClusterIP!);
        var b = await v6.CreateAsync(Service("b"));

        Assert.True(System.Net.IPNetwork.Parse("10.96.0.0/12").Contains(a));
        Assert.True(System.Net.IPNetwork.Parse("fd00:10:96::/112").Contains(IPAddress.Parse(b.Spec.ClusterIP!)));
        Assert.NotEqual(IPAddress.Parse("fd00:10:96::"), IPAddress.Parse(b.Spec.ClusterIP!));
        Assert.Equal(["IPv6"], b.Spec.IpFamilies);
    }

    [Fact]
    public void Malformed_ranges_fail_at_construction()
    {
        Assert.Throws<FormatException>(() => Store(configure: o => o.Allocation.ServiceCidr = "10.0.0.0/8"));
        Assert.Throws<FormatException>(() => Store(configure: o => o.Allocation.NodePortRange = "32767-30000"));
    }

    private static int FreeClusterIPs(IObjectStore store)
    {
        var allocator = Inner(store).Allocator;
        var count = 0;
        for (var i = 0; i < allocator.Cidr.Size; i++)
        {
            count += allocator.IsClusterIPAllocated(allocator.Cidr.AddressAt(i)) ? 0 : 1;
        }

        return count;
    }
}

using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

/// <summary>healthCheckNodePort: allocated from the node-port range, kept across updates, released when no longer needed or on delete.</summary>
public sealed class HealthCheckNodePortTests
{
    private static IObjectStore SmallStore() => Store(configure: o =>
    {
        o.Allocation.ServiceCidr = "10.0.0.0/29";
        o.Allocation.NodePortRange = "30000-30004";
    });

    private static InMemoryObjectStore Inner(IObjectStore store) => (InMemoryObjectStore)store;

    private static Service Local(string name, int healthCheckNodePort = 0)
    {
        var service = Service(name, ServiceTypes.LoadBalancer, Port(80));
        return service with { Spec = service.Spec with { ExternalTrafficPolicy = "Local", HealthCheckNodePort = healthCheckNodePort } };
    }

    [Fact]
    public async Task A_LoadBalancer_with_policy_Local_gets_one_from_the_node_port_range()
    {
        var store = SmallStore();

        var created = await store.CreateAsync(Local("web"));

        Assert.InRange(created.Spec.HealthCheckNodePort, 30000, 30004);
        Assert.NotEqual(created.Spec.Ports![0].NodePort, created.Spec.HealthCheckNodePort);
        Assert.True(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, created.Spec.HealthCheckNodePort));
    }

    [Fact]
    public async Task An_asked_for_port_is_checked_against_the_range_and_what_is_taken()
    {
        var store = SmallStore();
        Assert.Equal(30003, (await store.CreateAsync(Local("a", 30003))).Spec.HealthCheckNodePort);

        var outside = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Local("b", 31000)));
        Assert.Equal(
            "spec.healthCheckNodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30004",
            Assert.Single(outside.Causes).ToString());
        var taken = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Local("c", 30003)));
        Assert.Equal("spec.healthCheckNodePort: Invalid value: 30003: provided port is already allocated", Assert.Single(taken.Causes).ToString());
    }

    [Fact]
    public async Task An_asked_for_port_is_reserved_before_the_service_ports_pick_theirs()
    {
        // Two free ports: a random pick made first would take the asked-for one half of the time.
        for (var round = 0; round < 16; round++)
        {
            var store = Store(configure: o => o.Allocation.NodePortRange = "30000-30001");

            var created = await store.CreateAsync(Local("web", 30000));

            Assert.Equal(30000, created.Spec.HealthCheckNodePort);
            Assert.Equal(30001, created.Spec.Ports![0].NodePort);
        }
    }

    [Fact]
    public async Task An_update_that_leaves_it_out_keeps_it_and_one_to_Cluster_releases_it()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Local("web"));
        var port = created.Spec.HealthCheckNodePort;

        var kept = await store.UpdateAsync(created with { Spec = created.Spec with { HealthCheckNodePort = 0 } });
        Assert.Equal(port, kept.Spec.HealthCheckNodePort);

        var cluster = await store.UpdateAsync(kept with { Spec = kept.Spec with { ExternalTrafficPolicy = "Cluster" } });
        Assert.Equal(0, cluster.Spec.HealthCheckNodePort);
        Assert.False(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, port));
    }

    [Fact]
    public async Task Delete_releases_it()
    {
        var store = SmallStore();
        var created = await store.CreateAsync(Local("web"));

        await store.DeleteAsync<Service>("default", "web");

        Assert.False(Inner(store).Allocator.IsNodePortAllocated(Protocols.Tcp, created.Spec.HealthCheckNodePort));
    }
}

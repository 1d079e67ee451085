using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>The store with the real Kubernetes validator: defaulting, static validation, then allocation.</summary>
public sealed class RealValidatorTests
{
    private static IObjectStore RealStore(Action<RegistryOptions>? configure = null)
    {
        var options = new RegistryOptions();
        configure?.Invoke(options);
        return ObjectStore.CreateInMemory(options, ObjectValidator.Default);
    }

    [Fact]
    public async Task Defaults_are_applied_and_the_cluster_ip_allocated()
    {
        var store = RealStore();

        var created = await store.CreateAsync(Service("web"));

        Assert.Equal(ServiceTypes.ClusterIP, created.Spec.Type);
        Assert.Equal(SessionAffinities.None, created.Spec.SessionAffinity);
        Assert.Equal(Protocols.Tcp, created.Spec.Ports![0].Protocol);
        Assert.Equal(80, created.Spec.Ports[0].TargetPort!.Value.IntValue);
        Assert.StartsWith("127.100.", created.Spec.ClusterIP, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Static_errors_come_before_allocation_and_allocate_nothing()
    {
        var store = RealStore(o => o.Allocation.ServiceCidr = "10.0.0.0/29");

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("web", ServiceTypes.NodePort, Port(0))));

        Assert.Equal(StoreErrorReason.Invalid, error.Reason);
        Assert.Contains(error.Causes, c => c.Field == "spec.ports[0].port");
        for (var i = 0; i < 6; i++)
        {
            await store.CreateAsync(Service($"s{i}"));
        }
    }

    [Fact]
    public async Task Allocation_errors_follow_static_validation()
    {
        var store = RealStore();

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("np", ServiceTypes.NodePort, Port(80, nodePort: 40000))));

        Assert.Equal(
            "Service \"np\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767",
            error.Message);
    }

    [Fact]
    public async Task Changing_an_allocated_cluster_ip_is_refused_and_leaking_nothing()
    {
        var store = RealStore();
        var created = await store.CreateAsync(Service("web"));
        var other = created.Spec.ClusterIP == "127.100.9.9" ? "127.100.9.10" : "127.100.9.9";

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () =>
            await store.UpdateAsync(created with { Spec = created.Spec with { ClusterIP = other, ClusterIPs = [other] } }));

        Assert.Contains(error.Causes, c => c.Field == "spec.clusterIP" && c.Detail == "field is immutable");
        Assert.False(((InMemoryObjectStore)store).Allocator.IsClusterIPAllocated(System.Net.IPAddress.Parse(other)));
    }

    [Fact]
    public async Task Type_changes_pass_validation_with_allocated_fields_sent_back()
    {
        var store = RealStore();
        var created = await store.CreateAsync(Service("web", ServiceTypes.NodePort, Port(80)));

        var clusterIP = await store.UpdateAsync(created with { Spec = created.Spec with { Type = ServiceTypes.ClusterIP } });
        var external = await store.UpdateAsync(clusterIP with { Spec = clusterIP.Spec with { Type = ServiceTypes.ExternalName, ExternalName = "example.com", Ports = null } });

        Assert.Equal(0, clusterIP.Spec.Ports![0].NodePort);
        Assert.Null(external.Spec.ClusterIP);
    }

    [Fact]
    public async Task Controller_written_endpoints_pass_the_real_validation()
    {
        var store = RealStore();
        using var controller = new EndpointsController(store);
        controller.Start();
        var service = Service("web", null, Port(80, "http", targetPort: "web"), Port(9000, "metrics"));
        await store.CreateAsync(service with { Spec = service.Spec with { Selector = new Dictionary<string, string> { ["app"] = "web" } } });

        await store.CreateAsync(Pod("a", "10.1.0.1", ports: new PodContainerPort { Name = "web", ContainerPort = 8080 }).Labeled("app=web"));
        await store.CreateAsync(Pod("b", "10.1.0.2", ready: false).Labeled("app=web"));

        var subsets = store.Get<Endpoints>("default", "web")!.Subsets!;
        Assert.Equal(2, subsets.Count);
        Assert.Equal(["10.1.0.1"], subsets.SelectMany(s => s.Addresses ?? []).Select(a => a.Ip));
        Assert.Equal(["10.1.0.2"], subsets.SelectMany(s => s.NotReadyAddresses ?? []).Select(a => a.Ip));
    }
}

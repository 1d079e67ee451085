using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class EndpointsControllerTests
{
    private static readonly Dictionary<string, string> App = new() { ["app"] = "web" };

    private static (IObjectStore Store, EndpointsController Controller) Start()
    {
        var store = Store();
        var controller = new EndpointsController(store);
        controller.Start();
        return (store, controller);
    }

    private static Service Selecting(string name, params ServicePort[] ports) =>
        Service(name, null, ports.Length > 0 ? ports : [Port(80, targetPort: 8080)]) with { Spec = Service(name).Spec with { Ports = ports.Length > 0 ? ports : [Port(80, targetPort: 8080)], Selector = App } };

    private static string[] Ready(Endpoints? endpoints) =>
        [.. (endpoints?.Subsets ?? []).SelectMany(s => (s.Addresses ?? []).SelectMany(a => (s.Ports ?? []).Select(p => $"{a.Ip}:{p.Port}")))];

    private static string[] NotReady(Endpoints? endpoints) =>
        [.. (endpoints?.Subsets ?? []).SelectMany(s => (s.NotReadyAddresses ?? []).SelectMany(a => (s.Ports ?? []).Select(p => $"{a.Ip}:{p.Port}")))];

    [Fact]
    public async Task Endpoints_list_the_pods_whose_labels_include_the_selector()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web"));

        await store.CreateAsync(Pod("a", "10.1.0.2", new Dictionary<string, string> { ["app"] = "web", ["tier"] = "x" }));
        await store.CreateAsync(Pod("b", "10.1.0.1", App));
        await store.CreateAsync(Pod("other", "10.1.0.3", new Dictionary<string, string> { ["app"] = "db" }));
        await store.CreateAsync(Pod("no-ip", null, App));
        await store.CreateAsync(Pod("bad-ip", "10.1.0.999", App));
        await store.CreateAsync(Pod("elsewhere", "10.1.0.4", App).In("other"));

        var endpoints = store.Get<Endpoints>("default", "web");
        Assert.Equal(["10.1.0.1:8080", "10.1.0.2:8080"], Ready(endpoints));
        var subset = Assert.Single(endpoints!.Subsets!);
        Assert.Equal(new ObjectReference { Kind = "Pod", Namespace = "default", Name = "b", Uid = store.Get<Pod>("default", "b")!.Metadata.Uid }, subset.Addresses![0].TargetRef);
        Assert.Equal(Protocols.Tcp, subset.Ports![0].Protocol);
        Assert.Equal(EndpointsController.OwnerName, store.GetOwner("Endpoints", "default", "web"));
    }

    [Fact]
    public async Task Pods_that_are_not_ready_go_to_not_ready_addresses()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web"));
        await store.CreateAsync(Pod("a", "10.1.0.1", App));
        var pod = await store.CreateAsync(Pod("b", "10.1.0.2", App, ready: false));

        Assert.Equal(["10.1.0.1:8080"], Ready(store.Get<Endpoints>("default", "web")));
        Assert.Equal(["10.1.0.2:8080"], NotReady(store.Get<Endpoints>("default", "web")));

        await store.UpdateAsync(pod with { Status = pod.Status! with { Conditions = [new PodCondition { Type = "Ready", Status = "True" }] } });

        Assert.Equal(["10.1.0.1:8080", "10.1.0.2:8080"], Ready(store.Get<Endpoints>("default", "web")));
        Assert.Empty(NotReady(store.Get<Endpoints>("default", "web")));
    }

    [Fact]
    public async Task Named_target_ports_resolve_per_pod_and_a_pod_lacking_the_name_is_left_out_of_that_port()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web", Port(80, "http", targetPort: "web"), Port(9000, "metrics", targetPort: 9100)));

        await store.CreateAsync(Pod("a", "10.1.0.1", App, ports: new PodContainerPort { Name = "web", ContainerPort = 8080 }));
        await store.CreateAsync(Pod("b", "10.1.0.2", App, ports: new PodContainerPort { Name = "web", ContainerPort = 8081 }));
        await store.CreateAsync(Pod("c", "10.1.0.3", App));
        await store.CreateAsync(Pod("d", "10.1.0.4", App, ports: new PodContainerPort { Name = "web", ContainerPort = 8080, Protocol = Protocols.Udp }));

        var subsets = store.Get<Endpoints>("default", "web")!.Subsets!;
        Assert.Equal(3, subsets.Count);
        var byPorts = subsets.ToDictionary(s => string.Join(",", s.Ports!.Select(p => $"{p.Name}={p.Port}")), s => string.Join(",", s.Addresses!.Select(a => a.Ip)));
        Assert.Equal("10.1.0.1", byPorts["http=8080,metrics=9100"]);
        Assert.Equal("10.1.0.2", byPorts["http=8081,metrics=9100"]);
        Assert.Equal("10.1.0.3,10.1.0.4", byPorts["metrics=9100"]);
    }

    [Fact]
    public async Task Relabelled_and_deleted_pods_leave_the_endpoints()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web"));
        var a = await store.CreateAsync(Pod("a", "10.1.0.1", App));
        await store.CreateAsync(Pod("b", "10.1.0.2", App));

        await store.UpdateAsync(a with { Metadata = a.Metadata with { Labels = new Dictionary<string, string> { ["app"] = "other" } } });
        Assert.Equal(["10.1.0.2:8080"], Ready(store.Get<Endpoints>("default", "web")));

        await store.DeleteAsync<Pod>("default", "b");
        Assert.Empty(store.Get<Endpoints>("default", "web")!.Subsets!);
    }

    [Fact]
    public async Task Selector_change_and_service_port_change_recompute_the_endpoints()
    {
        var (store, controller) = Start();
        using var _ = controller;
        var service = await store.CreateAsync(Selecting("web"));
        await store.CreateAsync(Pod("a", "10.1.0.1", App));
        await store.CreateAsync(Pod("b", "10.1.0.2", new Dictionary<string, string> { ["app"] = "web2" }));

        await store.UpdateAsync(service with { Spec = service.Spec with { Selector = new Dictionary<string, string> { ["app"] = "web2" }, Ports = [Port(80, targetPort: 9090)] } });

        Assert.Equal(["10.1.0.2:9090"], Ready(store.Get<Endpoints>("default", "web")));
    }

    [Fact]
    public async Task Unchanged_endpoints_are_not_rewritten()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web"));
        await store.CreateAsync(Pod("a", "10.1.0.1", App));
        var version = store.Get<Endpoints>("default", "web")!.Metadata.ResourceVersion;

        await store.CreateAsync(Pod("unrelated", "10.1.0.9", new Dictionary<string, string> { ["app"] = "db" }));
        var pod = store.Get<Pod>("default", "a")!;
        await store.UpdateAsync(pod with { Spec = pod.Spec! with { NodeName = null, Hostname = "a" } });
        await controller.SyncAsync();

        Assert.Equal(version, store.Get<Endpoints>("default", "web")!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Service_without_selector_keeps_user_endpoints_and_its_deletion_keeps_them_too()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Service("manual"));
        var user = await store.CreateAsync(new Endpoints
        {
            Metadata = new ObjectMeta { Name = "manual" },
            Subsets = [new EndpointSubset { Addresses = [new EndpointAddress { Ip = "192.0.2.10" }], Ports = [new EndpointPort { Port = 9000 }] }],
        }, new WriteOptions { Owner = "/manifests/manual.yaml" });
        await store.CreateAsync(Pod("a", "10.1.0.1", App));

        Assert.Equal(user, store.Get<Endpoints>("default", "manual"));

        await store.DeleteAsync<Service>("default", "manual");
        Assert.Equal(user, store.Get<Endpoints>("default", "manual"));
    }

    [Fact]
    public async Task Deleting_the_service_deletes_its_controller_managed_endpoints()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web"));
        await store.CreateAsync(Pod("a", "10.1.0.1", App));
        Assert.NotNull(store.Get<Endpoints>("default", "web"));

        await store.DeleteAsync<Service>("default", "web");

        Assert.Null(store.Get<Endpoints>("default", "web"));
    }

    [Fact]
    public async Task Start_reconciles_what_was_written_before_it()
    {
        var store = Store();
        await store.CreateAsync(Selecting("web"));
        await store.CreateAsync(Pod("a", "10.1.0.1", App));

        using var controller = new EndpointsController(store);
        controller.Start();

        Assert.Equal(["10.1.0.1:8080"], Ready(store.Get<Endpoints>("default", "web")));
    }

    [Fact]
    public async Task Falling_behind_the_history_resyncs_everything()
    {
        var store = Store(configure: o => o.WatchHistorySize = 2);
        using var controller = new EndpointsController(store);
        controller.Start();
        controller.Dispose();
        await store.CreateAsync(Selecting("web"));
        for (var i = 0; i < 5; i++)
        {
            await store.CreateAsync(Pod($"p{i}", $"10.1.0.{i + 1}", App));
        }

        using var restarted = new EndpointsController(store);
        restarted.Start();

        Assert.Equal(5, Ready(store.Get<Endpoints>("default", "web")).Length);
    }

    [Fact]
    public async Task Concurrent_pod_writers_converge_after_sync()
    {
        var (store, controller) = Start();
        using var _ = controller;
        await store.CreateAsync(Selecting("web"));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await store.CreateAsync(Pod($"p-{w}-{i}", $"10.{w}.0.{i + 1}", App));
            }
        })));
        await controller.SyncAsync();

        Assert.Equal(100, Ready(store.Get<Endpoints>("default", "web")).Length);
    }
}

using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServiceProxy.Kubernetes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// The registry kept in a real etcd, through the public API only: several stores (as several nodes
/// would hold them) on one etcd share every object, resourceVersion and allocation, conflict as one
/// store does, and keep serving their last state while etcd is away.
/// </summary>
public sealed class EtcdStoreTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_create_on_one_node_is_seen_with_one_resource_version_on_the_other()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var a = await Node.StartAsync(etcd);
        await using var b = await Node.StartAsync(etcd);

        var created = await a.Store.CreateAsync(Service("web", ServiceTypes.NodePort));
        Assert.Equal(Json(created), Json(a.Store.Get<Service>("default", "web")));
        await Until(() => b.Store.Get<Service>("default", "web") is not null);

        Assert.Equal(Json(created), Json(b.Store.Get<Service>("default", "web")));
        Assert.True(a.Store.ResourceVersion >= long.Parse(created.Metadata.ResourceVersion!));

        // Each node's endpoints controller races to write the Endpoints; once both have followed every commit they agree.
        await Until(() => a.Store.List<Endpoints>().Items.Count == 1 && a.Store.ResourceVersion == b.Store.ResourceVersion);
        Assert.Equal(a.Store.List<Service>().ResourceVersion, b.Store.List<Service>().ResourceVersion);
        Assert.NotNull(created.Spec.ClusterIP);
        Assert.NotEqual(0, created.Spec.Ports![0].NodePort);
        Assert.True(ObjectStore.IsAvailable(a.Store));
    }

    [Fact]
    public async Task Concurrent_creates_through_two_nodes_never_share_an_address_or_a_port()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var a = await Node.StartAsync(etcd);
        await using var b = await Node.StartAsync(etcd);

        var writes = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).Store.CreateAsync(Service($"s{i}", ServiceTypes.NodePort)).AsTask());
        var created = await Task.WhenAll(writes);

        Assert.Equal(40, created.Select(s => s.Spec.ClusterIP).Distinct().Count());
        Assert.Equal(40, created.Select(s => s.Spec.Ports![0].NodePort).Distinct().Count());
        await Until(() => b.Store.List<Service>().Items.Count == 40 && a.Store.List<Service>().Items.Count == 40);
    }

    [Fact]
    public async Task Conflicting_updates_through_two_nodes_give_exactly_one_conflict()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var a = await Node.StartAsync(etcd);
        await using var b = await Node.StartAsync(etcd);
        var created = await a.Store.CreateAsync(Service("web", ServiceTypes.ClusterIP));
        await Until(() => b.Store.Get<Service>("default", "web") is not null);

        var results = await Task.WhenAll(
            Outcome(a.Store.UpdateAsync(Labeled(created, "a"))),
            Outcome(b.Store.UpdateAsync(Labeled(created, "b"))));

        Assert.Single(results, r => r is null);
        Assert.Single(results, r => r == StoreErrorReason.Conflict);
    }

    [Fact]
    public async Task A_watch_on_one_node_sees_a_create_on_the_other_and_resumes_from_a_resource_version()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var a = await Node.StartAsync(etcd);
        await using var b = await Node.StartAsync(etcd);
        using var cts = new CancellationTokenSource(Bound);
        var from = b.Store.ResourceVersion;

        var watch = b.Store.WatchAsync("Service", null, 0, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = await a.Store.CreateAsync(Service("one", ServiceTypes.ClusterIP));
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, first.Metadata.ResourceVersion), (watch.Current.Type, watch.Current.Object.Metadata.ResourceVersion));
        await watch.DisposeAsync();

        await a.Store.CreateAsync(Service("two", ServiceTypes.ClusterIP));
        await Until(() => b.Store.Get<Service>("default", "two") is not null);
        var replayed = new List<string>();
        await foreach (var e in b.Store.WatchAsync("Service", null, from, cts.Token))
        {
            replayed.Add(e.Object.Metadata.Name!);
            if (replayed.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["one", "two"], replayed);
    }

    [Fact]
    public async Task A_watch_from_before_what_a_node_holds_is_gone()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var a = await Node.StartAsync(etcd);
        var first = await a.Store.CreateAsync(Service("one", ServiceTypes.ClusterIP));
        await a.Store.CreateAsync(Service("two", ServiceTypes.ClusterIP));

        // A node that starts now lists at the current revision: what came before is not replayable there.
        await using var b = await Node.StartAsync(etcd);
        var error = Assert.Throws<ObjectStoreException>(() => b.Store.WatchAsync(null, null, long.Parse(first.Metadata.ResourceVersion!) - 1, CancellationToken.None));
        Assert.Equal(StoreErrorReason.Gone, error.Reason);
        Assert.StartsWith("too old resource version", error.Message);
    }

    [Fact]
    public async Task Without_etcd_writes_fail_in_bounded_time_reads_serve_the_last_state_and_it_catches_up_after()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        await using var a = await Node.StartAsync(etcd, requestTimeout: TimeSpan.FromSeconds(2));
        await a.Store.CreateAsync(Service("kept", ServiceTypes.ClusterIP));

        await etcd.KillAsync(0);
        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await a.Store.CreateAsync(Service("lost", ServiceTypes.ClusterIP)));
        Assert.Equal(StoreErrorReason.StorageFailed, error.Reason);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        Assert.NotNull(a.Store.Get<Service>("default", "kept"));
        await Until(() => !ObjectStore.IsAvailable(a.Store));

        etcd.Restart(0);
        await etcd.WaitHealthyAsync();
        await Until(() => ObjectStore.IsAvailable(a.Store));
        await a.Store.CreateAsync(Service("after", ServiceTypes.ClusterIP));
        Assert.Null(a.Store.Get<Service>("default", "lost"));
    }

    private static Service Service(string name, string type) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "default" },
        Spec = new ServiceSpec
        {
            Type = type,
            Selector = new Dictionary<string, string> { ["app"] = name },
            Ports = [new ServicePort { Port = 80, TargetPort = 8080, Protocol = Protocols.Tcp }],
        },
    };

    private static string Json(Service? service) => System.Text.Json.JsonSerializer.Serialize(service, KubeJson.Options);

    private static Service Labeled(Service service, string value) =>
        service with { Metadata = service.Metadata with { Labels = new Dictionary<string, string> { ["by"] = value } } };

    private static async Task<StoreErrorReason?> Outcome(ValueTask<Service> write)
    {
        try
        {
            await write;
            return null;
        }
        catch (ObjectStoreException e)
        {
            return e.Reason;
        }
    }

    private static async Task Until(Func<bool> condition)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < Bound, "condition not met in time");
            await Task.Delay(20);
        }
    }

    /// <summary>One node's registry: the public AddServiceProxyRegistry with etcd servers, started as a host starts it.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly IHostedService[] _hosted;

        private Node(ServiceProvider provider)
        {
            _provider = provider;
            _hosted = [.. provider.GetServices<IHostedService>()];
            Store = provider.GetRequiredService<IObjectStore>();
        }

        public IObjectStore Store { get; }

        public static async Task<Node> StartAsync(EtcdCluster etcd, TimeSpan? requestTimeout = null)
        {
            var services = new ServiceCollection();
            services.AddServiceProxyRegistry(o =>
            {
                o.Allocation.ServiceCidr = "10.96.0.0/24";
                o.Allocation.NodePortRange = "30000-30199";
                o.Etcd.Servers = [.. etcd.ClientUrls.Split(',')];
                o.Etcd.RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5);
            });
            var node = new Node(services.BuildServiceProvider());
            foreach (var hosted in node._hosted)
            {
                await hosted.StartAsync(CancellationToken.None);
            }

            return node;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var hosted in _hosted.Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await _provider.DisposeAsync();
        }
    }
}

using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>Each snapshot's changes describe exactly how its ports differ from the snapshot they name.</summary>
public sealed class RegistryConfigChangesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Changes_rebuild_every_snapshot_from_an_earlier_one(int seed)
    {
        var options = new RegistryOptions();
        var store = ObjectStore.CreateInMemory(options, new TestValidator());
        using var provider = new RegistryConfigProvider(store, options);
        var random = new Random(seed);
        var snapshots = new List<ProxyConfig> { provider.GetConfig() };
        for (var step = 0; step < 300; step++)
        {
            await WriteSomethingAsync(store, random);
            provider.Sync();
            if (!ReferenceEquals(provider.GetConfig(), snapshots[^1]))
            {
                snapshots.Add(provider.GetConfig());
            }
        }

        Assert.True(snapshots.Count > 100, $"only {snapshots.Count} snapshots");
        for (var i = 1; i < snapshots.Count; i++)
        {
            // From the one before, and from up to five before (a consumer that skipped snapshots).
            for (var back = 1; back <= Math.Min(5, i); back++)
            {
                var changed = snapshots[i].Changes?.Since(snapshots[i - back].Version);
                Assert.True(changed is not null, $"snapshot {i} (v{snapshots[i].Version}, base {snapshots[i].Changes?.BaseVersion}) from {i - back} (v{snapshots[i - back].Version})");
                Assert.Equal(Describe(snapshots[i].Ports), Describe(Apply(snapshots[i - back].Ports, changed)));
            }
        }
    }

    private static async Task WriteSomethingAsync(IObjectStore store, Random random)
    {
        var name = $"svc-{random.Next(8)}";
        var existing = store.Get<Service>("default", name);
        switch (random.Next(4))
        {
            case 0 when existing is not null:
                await store.DeleteAsync<Service>("default", name);
                break;
            case 1 when existing is not null:
                // One or two ports; a port may be renamed away.
                ServicePort[] ports = random.Next(2) == 0
                    ? [Port(80, "http")]
                    : [Port(80, "http"), Port(443 + random.Next(2), random.Next(2) == 0 ? "https" : "tls")];
                await store.UpdateAsync(existing with { Spec = existing.Spec with { Ports = ports } });
                break;
            case 2:
                var endpoints = new Endpoints
                {
                    Metadata = new ObjectMeta { Name = name },
                    Subsets = [new EndpointSubset
                    {
                        Addresses = [new EndpointAddress { Ip = $"10.1.0.{random.Next(1, 4)}" }],
                        Ports = [new EndpointPort { Name = "http", Port = 8080 + random.Next(3), Protocol = "TCP" }],
                    }],
                };
                var current = store.Get<Endpoints>("default", name);
                await (current is null
                    ? store.CreateAsync(endpoints)
                    : store.UpdateAsync(endpoints with { Metadata = current.Metadata }));
                break;
            default:
                if (existing is null)
                {
                    await store.CreateAsync(Service(name, null, Port(80, "http")));
                }

                break;
        }
    }

    private static IEnumerable<ServicePortConfig> Apply(IEnumerable<ServicePortConfig> before, Dictionary<ServicePortKey, ServicePortConfig?> changed)
    {
        var after = before.ToDictionary(p => p.Key);
        foreach (var (key, port) in changed)
        {
            if (port is null)
            {
                // Null is the newest state "absent": a port added and removed again since that snapshot was never in it.
                after.Remove(key);
            }
            else
            {
                after[key] = port;
            }
        }

        return after.Values;
    }

    private static List<string> Describe(IEnumerable<ServicePortConfig> ports) =>
        [.. ports.Select(p => $"{p.Key} {string.Join(',', p.ListenEndPoints)} -> {string.Join(',', p.Endpoints)}").Order(StringComparer.Ordinal)];
}

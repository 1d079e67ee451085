using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// LoadBalancer addresses in a cluster: given in the same etcd transaction as the Service write,
/// which compares the shared ranges, so LoadBalancer Services created concurrently through three
/// nodes never share an address, the pool is used up exactly, and every node reports the same
/// address for each Service.
/// </summary>
public sealed class ClusterLoadBalancerPendingTests
{
    [Fact]
    public async Task More_load_balancer_services_than_the_pool_holds_leave_the_rest_pending_and_every_node_agrees()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(
            [SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane],
            requestTimeout: TimeSpan.FromSeconds(20));

        // More Services than the /28 pool has addresses: some must stay pending, none may share one.
        const int PerNode = 8;
        await Task.WhenAll(Enumerable.Range(0, 3).Select(node =>
            CreateServicesAsync(cluster[node].Http, Enumerable.Range(0, PerNode).Select(i => $"lb-{node}-{i}"), "LoadBalancer", PerNode)));

        // Every node reports the same address (or none) for each Service.
        string[][] views = [];
        await UntilAsync(async () =>
        {
            views = await Task.WhenAll(Enumerable.Range(0, 3).Select(async n => Addresses(await GetAsync(cluster[n].Http, "/api/v1/namespaces/default/services"))));
            return views.All(v => v.Length == 3 * PerNode) && views.Skip(1).All(v => v.SequenceEqual(views[0]));
        }, "the three nodes report the same load-balancer addresses");

        var given = views[0].Where(a => a.Length > 0 && !a.EndsWith('=')).Select(a => a.Split('=')[1]).ToList();
        Assert.Equal(given.Count, given.Distinct().Count());
        Assert.InRange(given.Count, 14, 16); // the whole /28 (less network and broadcast where the pool keeps them)
    }

    /// <summary>"name=address" (address empty while pending) of every Service, by name.</summary>
    private static string[] Addresses(JsonObject list) =>
        [.. list["items"]!.AsArray()
            .Select(s => $"{s!["metadata"]!["name"]}={s["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"]}")
            .Order(StringComparer.Ordinal)];
}

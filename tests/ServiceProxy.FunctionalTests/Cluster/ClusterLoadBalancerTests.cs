using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// LoadBalancer addresses are the cluster's: Services created concurrently through three nodes never
/// share one, every node reports the same ingress for each, the pool's bitmap is kept in etcd
/// (<c>ranges/loadbalancerips</c>) and a node started later repairs a leaked one from the stored Services.
/// </summary>
public sealed class ClusterLoadBalancerTests(ITestOutputHelper output)
{
    // 60 Services from a pool of 64: three nodes allocating on their own would each start at the lowest address.
    private const int Services = 60;
    private const int InFlightPerNode = 8;

    [Fact]
    public async Task LoadBalancer_Services_created_through_three_nodes_get_distinct_addresses_that_every_node_reports()
    {
        var pool = $"127.{Random.Shared.Next(250, 255)}.{Random.Shared.Next(0, 256)}.0/26";
        await using var cluster = await SvcproxyCluster.StartAsync(
            [SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane],
            requestTimeout: TimeSpan.FromSeconds(20),
            loadBalancerPool: pool);

        var created = (await Task.WhenAll(Enumerable.Range(0, 3).Select(n => CreateThroughAsync(cluster[n].Http, n)))).SelectMany(c => c).ToList();
        var addresses = created.ToDictionary(s => s["metadata"]!["name"]!.GetValue<string>(), Ingress);
        Assert.Equal(Services, addresses.Count);
        Assert.DoesNotContain(null, addresses.Values);
        Assert.Equal(Services, addresses.Values.Distinct().Count());

        // Every node reports the address the write returned, for every Service.
        for (var n = 0; n < 3; n++)
        {
            await ReportsAsync(cluster[n].Http, addresses, $"node {n}");
        }

        var range = await RangeAsync(cluster.Etcd);
        Assert.Equal(pool, range["range"]!.GetValue<string>());
        Assert.Equal(Services, Bits(range));

        // A leak: every address marked used. The repair of a node started now frees what no Service holds.
        await cluster.Etcd.CtlAsync("put", "/registry/ranges/loadbalancerips",
            new JsonObject { ["kind"] = "RangeAllocation", ["apiVersion"] = "v1", ["range"] = pool, ["data"] = Convert.ToBase64String(Enumerable.Repeat((byte)0xff, 8).ToArray()) }.ToJsonString());
        var late = await cluster.AddNodeAsync(SvcproxyCluster.ControlPlane);
        await UntilAsync(async () => Bits(await RangeAsync(cluster.Etcd)) == Services, "the started node repairs ranges/loadbalancerips");
        await ReportsAsync(cluster[late].Http, addresses, "the started node");

        // What the repair freed is given out again, once: four more Services get the four addresses left.
        var more = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            more.Add(Ingress(await CreateAsync(cluster[i % 4 == 3 ? late : i].Http, "services", Service($"more-{i}", "LoadBalancer"))));
        }

        Assert.DoesNotContain(null, more);
        Assert.Empty(more.Intersect(addresses.Values));
        Assert.Equal(4, more.Distinct().Count());

        // The pool is spent: one more is pending until a Service deleted through another node gives its address back.
        Assert.Null(Ingress(await CreateAsync(cluster[0].Http, "services", Service("pending", "LoadBalancer"))));
        using (var deleted = await cluster[1].Http.DeleteAsync("/api/v1/namespaces/default/services/lb-2-7"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        foreach (var (index, node) in cluster.Running)
        {
            await UntilAsync(
                async () => Ingress(await GetAsync(node.Http, "/api/v1/namespaces/default/services/pending")) == addresses["lb-2-7"],
                $"node {index} reports the pending Service at the freed {addresses["lb-2-7"]}");
        }

        output.WriteLine($"{Services + 4} LoadBalancer Services, pool {pool}");
    }

    private static string? Ingress(JsonNode? service) =>
        service?["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"]?.GetValue<string>();

    private static async Task ReportsAsync(HttpClient http, Dictionary<string, string?> expected, string who)
    {
        Dictionary<string, string?> listed = [];
        await UntilAsync(async () =>
        {
            var list = await GetAsync(http, "/api/v1/namespaces/default/services");
            listed = list["items"]!.AsArray()
                .Where(s => expected.ContainsKey(s!["metadata"]!["name"]!.GetValue<string>()))
                .ToDictionary(s => s!["metadata"]!["name"]!.GetValue<string>(), Ingress);
            return listed.Count == expected.Count;
        }, $"{who} lists every Service");
        foreach (var (name, address) in expected)
        {
            Assert.True(listed[name] == address, $"{who}: {name} at {listed[name]}, created at {address}");
        }
    }

    private static async Task<JsonObject> RangeAsync(EtcdCluster etcd) =>
        JsonNode.Parse(await etcd.CtlAsync("get", "/registry/ranges/loadbalancerips", "--print-value-only"))?.AsObject()
            ?? throw new InvalidOperationException("no ranges/loadbalancerips");

    private static int Bits(JsonObject range) =>
        Convert.FromBase64String(range["data"]!.GetValue<string>()).Sum(b => BitOperations.PopCount(b));

    /// <summary>A third of the Services through one node, <see cref="InFlightPerNode"/> requests at a time.</summary>
    private static Task<List<JsonObject>> CreateThroughAsync(HttpClient http, int node) =>
        CreateServicesAsync(http, Enumerable.Range(0, Services / 3).Select(i => $"lb-{node}-{i}"), "LoadBalancer", InFlightPerNode);
}

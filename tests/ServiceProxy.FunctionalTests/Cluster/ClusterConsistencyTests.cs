using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// Three real svcproxy processes on one real 3-member etcd: Services created concurrently through all
/// three APIs never share a ClusterIP or a NodePort, and every node lists the same objects at the same
/// resourceVersion.
/// </summary>
public sealed class ClusterConsistencyTests(ITestOutputHelper output)
{
    private const int Services = 300;
    private const int InFlightPerNode = 16;

    [Fact]
    public async Task Services_created_concurrently_through_three_nodes_get_distinct_addresses_and_ports_and_every_node_lists_the_same()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(
            [SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane],
            nodePortRange: "30000-30999",
            requestTimeout: TimeSpan.FromSeconds(20)); // What is checked is the allocation, not how fast a loaded machine commits it.

        var stopwatch = Stopwatch.StartNew();
        var created = await Task.WhenAll(Enumerable.Range(0, 3).Select(n => CreateThroughAsync(cluster[n].Http, n)));
        var services = created.SelectMany(c => c).ToList();
        var elapsed = stopwatch.Elapsed;
        output.WriteLine($"{Services} Services through three nodes in {elapsed.TotalSeconds:F1} s");

        Assert.Equal(Services, services.Count);
        Assert.Equal(Services, services.Select(s => s["spec"]!["clusterIP"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(Services, services.Select(s => s["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>()).Distinct().Count());

        // Heartbeats and the endpoints controller keep writing: retry until the three agree on one revision.
        JsonObject[] lists = [];
        await UntilAsync(async () =>
        {
            lists = await Task.WhenAll(Enumerable.Range(0, 3).Select(n => GetAsync(cluster[n].Http, "/api/v1/namespaces/default/services")));
            return lists.Select(ResourceVersion).Distinct().Count() == 1;
        }, "the three nodes list at one resourceVersion");

        var expected = Summary(lists[0]);
        Assert.Equal(Services, expected.Count);
        Assert.Equal(expected, Summary(lists[1]));
        Assert.Equal(expected, Summary(lists[2]));
        foreach (var service in services)
        {
            Assert.Contains($"{service["metadata"]!["name"]} {ResourceVersion(service)} {service["spec"]!["clusterIP"]} {service["spec"]!["ports"]![0]!["nodePort"]}", expected);
        }
    }

    /// <summary>A third of the Services through one node, <see cref="InFlightPerNode"/> requests at a time.</summary>
    private static Task<List<JsonObject>> CreateThroughAsync(HttpClient http, int node) =>
        CreateServicesAsync(http, Enumerable.Range(0, Services / 3).Select(i => $"svc-{node}-{i}"), "NodePort", InFlightPerNode);

    private static List<string> Summary(JsonObject list) =>
    [
        .. list["items"]!.AsArray().Select(s =>
            $"{s!["metadata"]!["name"]} {ResourceVersion(s)} {s["spec"]!["clusterIP"]} {s["spec"]!["ports"]![0]!["nodePort"]}").Order(StringComparer.Ordinal),
    ];
}

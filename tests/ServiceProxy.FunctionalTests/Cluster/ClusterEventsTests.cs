using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// Events in a cluster: kept in etcd under <c>/registry/events/NAMESPACE/NAME</c> with a lease, as
/// kube-apiserver keeps them, so an Event one node records is listed by every node's API (and
/// recorded once: the allocation Events come from the controller leader alone), and it goes when
/// its time to live is up.
/// </summary>
public sealed class ClusterEventsTests
{
    [Fact]
    public async Task An_event_recorded_on_one_node_is_listed_by_every_node_once_and_its_etcd_key_has_a_lease()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(
            [SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane],
            extra: ["--event-ttl", "00:00:08"]);
        using (var created = await cluster[1].Http.PostAsync("/api/v1/namespaces/default/services", JsonContent.Create(Service("shared", "NodePort"))))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        // The allocation Events, once each (by the controller leader, whichever node that is), on every node.
        string[][] views = [];
        await UntilAsync(async () =>
        {
            views = await Task.WhenAll(Enumerable.Range(0, 3).Select(async n => Reasons(await GetAsync(cluster[n].Http, "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dshared"))));
            return views.All(v => v.Contains("ClusterIPAllocated") && v.Contains("NodePortAllocated"));
        }, "every node lists the Service's allocation Events");
        foreach (var view in views)
        {
            Assert.Equal(1, view.Count(r => r == "ClusterIPAllocated"));
            Assert.Equal(views[0], view);
        }

        // In etcd under kube-apiserver's key, with a lease.
        var keys = await cluster.Etcd.CtlAsync("get", "/registry/events/default/", "--prefix", "-w", "json");
        var kvs = JsonNode.Parse(keys)!["kvs"]!.AsArray();
        Assert.Contains(kvs, kv => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(kv!["key"]!.GetValue<string>())).StartsWith("/registry/events/default/shared.", StringComparison.Ordinal)
            && kv["lease"]!.GetValue<long>() != 0);

        // Gone from every node when the time to live is up.
        await UntilAsync(async () =>
        {
            var left = await Task.WhenAll(Enumerable.Range(0, 3).Select(async n => Reasons(await GetAsync(cluster[n].Http, "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dshared"))));
            return left.All(v => v.Length == 0);
        }, "the Events expire on every node");
    }

    private static string[] Reasons(JsonObject list) =>
        [.. list["items"]!.AsArray().Select(e => e!["reason"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
}

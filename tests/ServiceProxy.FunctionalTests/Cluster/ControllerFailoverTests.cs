using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// The node holding the controller lease is killed with SIGKILL under load: another node takes the
/// controllers over, and Endpoints follow a Pod change within the lease duration plus one second,
/// as node-0 (which proxies and runs no controllers) then shows by proxying to the new Pod.
/// </summary>
public sealed class ControllerFailoverTests(ITestOutputHelper output)
{
    private const string BecameLeader = "became leader of";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_the_controller_leader_is_killed_endpoints_follow_a_new_pod_within_the_lease_duration_and_a_second()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(
            ["api,proxy", SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane],
            extra: ["--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1s"]);
        await using var echo = TestBackend.Echo();
        await using var web = TestBackend.Echo();
        var target = await ClusterFaultTests.EchoServiceAsync(cluster, echo);
        await using var load = new ClusterLoad(() => ClusterFaultTests.ApiClients(cluster), target);

        // web selects app=web; its only Pod is not ready, so its Endpoints hold no ready address yet.
        var service = await CreateAsync(cluster[0].Http, "services", Service("web", port: 8080, targetPort: web.EndPoint.Port));
        var webAddress = new IPEndPoint(IPAddress.Parse(service["spec"]!["clusterIP"]!.GetValue<string>()), 8080);
        await CreateAsync(cluster[0].Http, "pods", Pod("web-0", "web", "127.0.0.2", ready: false));
        await UntilAsync(async () => NotReadyAddresses(await EndpointsAsync(cluster[0])).Contains("127.0.0.2"), "web-0 among the not-ready addresses");
        var leader = await LeaderAsync(cluster);
        var survivor = leader == 1 ? 2 : 1;

        var killed = Stopwatch.StartNew();
        await cluster.KillAsync(leader);
        await CreateAsync(cluster[0].Http, "pods", Pod("web-1", "web", "127.0.0.1", ready: true));
        await UntilAsync(async () => ReadyAddresses(await EndpointsAsync(cluster[0])).Contains("127.0.0.1"), "web-1 among the ready addresses", Bound);
        var followed = killed.Elapsed;
        await cluster[survivor].WaitForOutputAsync(BecameLeader, TimeSpan.FromSeconds(5));
        await UntilAsync(() => ClusterFaultTests.EchoesAsync(webAddress), "web proxied by node-0 to web-1", Bound);
        await load.WaitForConnectionsAsync(20, Bound);
        await load.StopAsync();

        output.WriteLine($"node-{leader} led and was killed; node-{survivor} took over; Endpoints followed web-1 {followed.TotalMilliseconds:F0} ms after the kill");
        Assert.True(followed <= LeaseDuration + TimeSpan.FromSeconds(1), $"Endpoints followed {followed} after the kill (lease duration {LeaseDuration})");
        Assert.Empty(load.ConnectionFailures);
        await ClusterFaultTests.AssertEveryNodeHoldsAsync(cluster, load.Acknowledged);
    }

    /// <summary>The index of the control-plane node that leads (bounded wait); exactly one does.</summary>
    private static async Task<int> LeaderAsync(SvcproxyCluster cluster)
    {
        int[] leaders = [];
        await UntilAsync(() =>
        {
            leaders = [.. cluster.Running.Where(n => n.Node.Output.Contains(BecameLeader, StringComparison.Ordinal)).Select(n => n.Index)];
            return Task.FromResult(leaders.Length > 0);
        }, "a controller leader");
        return Assert.Single(leaders);
    }

    /// <summary>The Endpoints of web; empty until the controller has written them.</summary>
    private static async Task<JsonObject> EndpointsAsync(HostProcess node)
    {
        using var response = await node.Http.GetAsync("/api/v1/namespaces/default/endpoints/web");
        return response.StatusCode == HttpStatusCode.NotFound ? [] : JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static List<string> ReadyAddresses(JsonObject endpoints) => Addresses(endpoints, "addresses");

    private static List<string> NotReadyAddresses(JsonObject endpoints) => Addresses(endpoints, "notReadyAddresses");

    private static List<string> Addresses(JsonObject endpoints, string field) =>
    [
        .. (endpoints["subsets"]?.AsArray() ?? [])
            .SelectMany(s => s![field]?.AsArray() ?? [])
            .Select(a => a!["ip"]!.GetValue<string>()),
    ];
}

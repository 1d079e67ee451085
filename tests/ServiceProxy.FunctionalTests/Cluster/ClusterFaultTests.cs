using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;
using KubectlClient = ServiceProxy.FunctionalTests.Kubectl.Kubectl;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// Faults under load on a real 3-member etcd and three real svcproxy processes (node-0 proxies,
/// node-1 and node-2 run the controllers), each while a loop writes Pods through every API node and
/// a loop opens proxied connections through node-0 to an echo backend: etcd members killed with
/// SIGKILL, quorum lost and regained, a svcproxy node killed.
/// </summary>
public sealed class ClusterFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private static readonly string[] Roles = ["api,proxy", SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane];

    [Fact]
    public async Task Killing_the_etcd_leader_loses_no_acknowledged_write_stops_no_write_and_fails_no_connection()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(Roles);
        await using var backend = TestBackend.Echo();
        var target = await EchoServiceAsync(cluster, backend);
        await using var load = new ClusterLoad(() => ApiClients(cluster), target);
        await load.WaitForAcknowledgedAsync(5, Bound);
        await load.WaitForConnectionsAsync(20, Bound);

        var leader = await cluster.Etcd.LeaderIndexAsync();
        await cluster.Etcd.KillAsync(leader);
        await load.WaitForAcknowledgedAsync(10, Bound);
        await load.WaitForConnectionsAsync(50, Bound);
        await load.StopAsync();

        Report(load);
        Assert.Empty(load.ConnectionFailures);
        await AssertEveryNodeHoldsAsync(cluster, load.Acknowledged);
    }

    [Fact]
    public async Task Without_quorum_writes_fail_in_bounded_time_proxying_goes_on_and_after_it_every_node_converges()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(Roles, requestTimeout: RequestTimeout);
        await using var backend = TestBackend.Echo();
        var target = await EchoServiceAsync(cluster, backend);
        await using var load = new ClusterLoad(() => ApiClients(cluster), target);
        await load.WaitForAcknowledgedAsync(5, Bound);

        await cluster.Etcd.KillAsync(0);
        await cluster.Etcd.KillAsync(1);
        // A write sent before the kills may still commit; one sent a second after cannot.
        var outage = load.Now + TimeSpan.FromSeconds(1);
        await ClusterApi.UntilAsync(
            () => Task.FromResult(load.Writes.Count(w => w.Started >= outage && w.Status is not null) >= 3),
            "three writes answered without quorum", Bound);
        await load.WaitForConnectionsAsync(20, Bound);
        var restarted = load.Now;
        var refused = load.Writes.Where(w => w.Started >= outage && w.Started + w.Took <= restarted).ToList();

        cluster.Etcd.Restart(0);
        cluster.Etcd.Restart(1);
        await cluster.Etcd.WaitHealthyAsync();
        await load.WaitForAcknowledgedAsync(5, Bound);
        await load.StopAsync();

        Report(load);
        Assert.NotEmpty(refused);
        Assert.All(refused, w =>
        {
            Assert.True(w.Status is { } status && (int)status >= 500, $"{w.Name} without quorum: {w.Status}");
            Assert.True(w.Took < RequestTimeout * 2, $"{w.Name} took {w.Took}");
        });
        Assert.Empty(load.ConnectionFailures);
        await AssertEveryNodeHoldsAsync(cluster, load.Acknowledged);
    }

    [Fact]
    public async Task A_killed_node_turns_not_ready_on_the_others_after_the_grace_period()
    {
        var grace = TimeSpan.FromSeconds(2);
        await using var cluster = await SvcproxyCluster.StartAsync(Roles, extra:
        [
            "--node-lease-renew-interval", "500ms", "--node-monitor-grace-period", "2s",
            "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1s",
        ]);
        await using var backend = TestBackend.Echo();
        var target = await EchoServiceAsync(cluster, backend);
        await using var load = new ClusterLoad(() => ApiClients(cluster), target);
        using var kubectl = KubectlClient.ForServer(cluster[0].AdminUrl);
        await ClusterApi.UntilAsync(async () => await NodeStatusAsync(kubectl, 2) == "Ready", "node-2 Ready");

        var killed = Stopwatch.StartNew();
        await cluster.KillAsync(2);
        await ClusterApi.UntilAsync(async () => await NodeStatusAsync(kubectl, 2) == "NotReady", "node-2 NotReady", Bound);
        var after = killed.Elapsed;
        await load.WaitForConnectionsAsync(20, Bound);
        await load.StopAsync();

        output.WriteLine($"node-2 NotReady {after.TotalSeconds:F1} s after the kill (grace period {grace.TotalSeconds} s)");
        Report(load);
        Assert.True(after >= grace - TimeSpan.FromMilliseconds(500), $"NotReady {after} after the kill, before the grace period");
        Assert.Equal("Ready", await NodeStatusAsync(kubectl, 0));
        Assert.Equal("Ready", await NodeStatusAsync(kubectl, 1));
        Assert.Empty(load.ConnectionFailures);
        await AssertEveryNodeHoldsAsync(cluster, load.Acknowledged);
    }

    /// <summary>The API nodes still running.</summary>
    internal static IReadOnlyList<HttpClient> ApiClients(SvcproxyCluster cluster) => [.. cluster.Running.Select(n => n.Node.Http)];

    /// <summary>A Service without selector on node-0, its Endpoints the backend; returns its ClusterIP once node-0 proxies it.</summary>
    internal static async Task<IPEndPoint> EchoServiceAsync(SvcproxyCluster cluster, TestBackend backend, string name = "echo")
    {
        var service = await CreateAsync(cluster[0].Http, "services", Service(name, port: 8080, selector: false, targetPort: backend.EndPoint.Port));
        await CreateAsync(cluster[0].Http, "endpoints", Endpoints(name, backend.EndPoint));
        var target = new IPEndPoint(IPAddress.Parse(service["spec"]!["clusterIP"]!.GetValue<string>()), 8080);
        await ClusterApi.UntilAsync(() => EchoesAsync(target), $"{name} proxied at {target}");
        return target;
    }

    /// <summary>One connection through <paramref name="target"/> echoes.</summary>
    internal static async Task<bool> EchoesAsync(IPEndPoint target)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(target, timeout.Token);
            await socket.SendAsync(new byte[] { 42 }, SocketFlags.None, timeout.Token);
            var buffer = new byte[1];
            return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 1 && buffer[0] == 42;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Every running node lists, at one resourceVersion, every acknowledged write.</summary>
    internal static async Task AssertEveryNodeHoldsAsync(SvcproxyCluster cluster, IEnumerable<string> acknowledged)
    {
        var expected = acknowledged.ToHashSet();
        JsonObject[] lists = [];
        await ClusterApi.UntilAsync(async () =>
        {
            lists = await Task.WhenAll(cluster.Running.Select(n => GetAsync(n.Node.Http, "/api/v1/namespaces/default/pods")));
            return lists.Select(ResourceVersion).Distinct().Count() == 1;
        }, "every node at one resourceVersion", Bound);

        var names = lists.Select(l => l["items"]!.AsArray().Select(p => p!["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList()).ToList();
        Assert.All(names, n => Assert.Equal(names[0], n));
        var missing = expected.Except(names[0]).ToList();
        Assert.True(missing.Count == 0, $"acknowledged and lost: {string.Join(", ", missing)}");
    }

    private static async Task<string> NodeStatusAsync(KubectlClient kubectl, int index)
    {
        var nodes = await kubectl.RunAsync("get", "nodes");
        Assert.True(nodes.ExitCode == 0, nodes.Stderr);
        return Row(nodes.Stdout, SvcproxyCluster.NodeName(index))[1];
    }

    private void Report(ClusterLoad load)
    {
        var byStatus = load.Writes.GroupBy(w => w.Status?.ToString() ?? "no answer").Select(g => $"{g.Key}: {g.Count()}");
        output.WriteLine($"writes {string.Join(", ", byStatus)}; slowest {load.Writes.Max(w => w.Took).TotalSeconds:F1} s; connections {load.Connections}, failed {load.ConnectionFailures.Count}");
        foreach (var failure in load.ConnectionFailures.Take(5))
        {
            output.WriteLine(failure);
        }
    }
}

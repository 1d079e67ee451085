using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.FunctionalTests.Udp;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// A UDP flood from more source ports than the process has descriptors for, under
/// <c>ulimit -n 300</c>: each new flow would take a socket. Flows beyond the descriptor budget TCP
/// connections draw on are dropped and counted, the process lives, its admin API answers, the
/// canary serves, the sessions already open keep working, and once the flood's sessions expire
/// new flows are served again.
/// </summary>
public sealed partial class UdpDescriptorTests
{
    private const int DescriptorLimit = 300;
    private const int Flows = 400;
    private const int ServicePort = 9053;
    private const string IdleTimeout = "5s";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Udp_flows_beyond_the_descriptor_budget_are_dropped_and_the_process_keeps_serving()
    {
        Assert.True(ProcessResources.RaiseDescriptorLimit() >= Flows + 200, "this test process needs more descriptors (ulimit -n)");
        await using var echo = new UdpTestBackend("echo");
        var manifests = Directory.CreateTempSubdirectory("svcproxy-udp-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(manifests, "udp.yaml"), UdpService("udp-echo", echo.EndPoint.Port));
            await using var canary = await CanaryHost.StartAsync(["-f", manifests], descriptorLimit: DescriptorLimit);
            var service = JsonNode.Parse(await canary.Host.Http.GetStringAsync("/api/v1/namespaces/default/services/udp-echo"));
            var target = new IPEndPoint(IPAddress.Parse(service!["spec"]!["clusterIP"]!.ToString()), ServicePort);
            var maxConnections = int.Parse(
                MaxConnectionsLine().Match(await canary.Host.WaitForOutputAsync("proxied TCP connections at most", TimeSpan.FromSeconds(5))).Groups[1].Value,
                CultureInfo.InvariantCulture);
            Assert.InRange(maxConnections, 2, Flows - 1); // UDP sessions: at most as many as TCP connections

            using var early = new UdpTestClient();
            Assert.Equal("echo", await early.AskWithRetriesAsync(target, "early"));

            using var flood = new UdpTestClients(Flows);
            var answered = await FloodAsync(flood, target, early);
            var served = answered.Count(a => a);
            Assert.False(canary.Host.HasExited, "svcproxy exited:\n" + canary.Host.Output);

            // The admin API answers, on a path it has served before and on one it has not.
            using (var get = await canary.Host.Http.GetAsync("/api/v1/namespaces/default/services/canary"))
            {
                Assert.True(get.StatusCode == HttpStatusCode.OK, $"GET service answered {(int)get.StatusCode}:\n{canary.Host.Output}");
            }

            using (var openApi = await canary.Host.Http.GetAsync("/openapi/v2"))
            {
                Assert.True(openApi.StatusCode == HttpStatusCode.OK, $"GET /openapi/v2 answered {(int)openApi.StatusCode}:\n{canary.Host.Output}");
            }

            await canary.AssertServingAsync();

            // Every flow beyond the budget was counted.
            Assert.InRange(served, 0, maxConnections - 1); // the early session holds one of UDP's share
            Assert.Equal(Flows - served, await RefusedAsync(canary));

            // Once the flood's sessions expire, new flows are served again (as many as fit beside the early session).
            await AssertServedAfterExpiryAsync(flood, target, answered, Math.Min(10, maxConnections - 1));

            await canary.AssertServingAsync();
        }
        finally
        {
            Directory.Delete(manifests, recursive: true);
        }
    }

    /// <summary>
    /// With <c>--max-connections</c> above what the descriptor limit fits, the flood's sessions run
    /// the process out of descriptors: a session socket that cannot be created drops its flow and
    /// is counted (<c>serviceproxy.limit=descriptors</c>), the process lives, and once the sessions
    /// expire everything is served again.
    /// </summary>
    [Fact]
    public async Task A_session_socket_the_process_has_no_descriptor_for_drops_its_flow_and_is_counted()
    {
        Assert.True(ProcessResources.RaiseDescriptorLimit() >= Flows + 200, "this test process needs more descriptors (ulimit -n)");
        await using var echo = new UdpTestBackend("echo");
        var manifests = Directory.CreateTempSubdirectory("svcproxy-udp-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(manifests, "udp.yaml"), UdpService("udp-echo", echo.EndPoint.Port));
            await using var canary = await CanaryHost.StartAsync(["-f", manifests, "--max-connections", "5000"], descriptorLimit: DescriptorLimit);
            var service = JsonNode.Parse(await canary.Host.Http.GetStringAsync("/api/v1/namespaces/default/services/udp-echo"));
            var target = new IPEndPoint(IPAddress.Parse(service!["spec"]!["clusterIP"]!.ToString()), ServicePort);
            using var early = new UdpTestClient();
            Assert.Equal("echo", await early.AskWithRetriesAsync(target, "early"));

            using var flood = new UdpTestClients(Flows);
            var answered = await FloodAsync(flood, target, early);
            Assert.False(canary.Host.HasExited, "svcproxy exited:\n" + canary.Host.Output);
            Assert.InRange(answered.Count(a => a), 1, DescriptorLimit - 1);

            // Once the flood's sessions expire, new flows are served.
            await AssertServedAfterExpiryAsync(flood, target, answered, 10);

            await canary.AssertServingAsync();
            Assert.True(await RefusedAsync(canary, "descriptors") >= Flows - answered.Count(a => a), "refused flows not counted:\n" + canary.Host.Output);
        }
        finally
        {
            Directory.Delete(manifests, recursive: true);
        }
    }

    /// <summary>A ClusterIP Service for UDP in front of one endpoint on 127.0.0.1, sessions idle for <see cref="IdleTimeout"/> closed.</summary>
    private static string UdpService(string name, int backendPort) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          annotations:
            serviceproxy.io/udp-idle-timeout: {IdleTimeout}
        spec:
          ports:
          - port: {ServicePort}
            protocol: UDP
        ---
        apiVersion: v1
        kind: Endpoints
        metadata:
          name: {name}
        subsets:
        - addresses:
          - ip: 127.0.0.1
          ports:
          - port: {backendPort}
            protocol: UDP

        """;

    /// <summary>
    /// The flood: one datagram from each of more source ports than the process has descriptors; the
    /// session <paramref name="early"/> opened before it must keep working. Which flows were answered.
    /// </summary>
    private static async Task<bool[]> FloodAsync(UdpTestClients flood, IPEndPoint target, UdpTestClient early)
    {
        for (var i = 0; i < Flows; i++)
        {
            await flood[i].SendAsync(target, $"flood{i}");
        }

        Assert.Equal("echo", await early.AskWithRetriesAsync(target, "during"));
        return await Task.WhenAll(Enumerable.Range(0, Flows).Select(i => AnsweredAsync(flood[i], TimeSpan.FromSeconds(3))));
    }

    /// <summary>Once the flood's sessions expire, <paramref name="count"/> of the refused flows are served.</summary>
    private static async Task AssertServedAfterExpiryAsync(UdpTestClients flood, IPEndPoint target, bool[] answered, int count)
    {
        var refusedFlows = Enumerable.Range(0, Flows).Where(i => !answered[i]).Take(count).ToArray();
        Assert.NotEmpty(refusedFlows);
        var deadline = DateTime.UtcNow + Settle;
        while (!await AskedAsync(flood[refusedFlows[0]], target) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        foreach (var i in refusedFlows)
        {
            Assert.Equal("echo", await flood[i].AskWithRetriesAsync(target, $"later{i}"));
        }
    }

    private static async Task<bool> AnsweredAsync(UdpTestClient client, TimeSpan timeout)
    {
        try
        {
            await client.ReceiveAsync(timeout);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> AskedAsync(UdpTestClient client, IPEndPoint target)
    {
        await client.SendAsync(target, "retry");
        return await AnsweredAsync(client, TimeSpan.FromMilliseconds(500));
    }

    /// <summary>The sum of <c>serviceproxy_udp_sessions_refused_total</c> over its series (of one <c>serviceproxy.limit</c> when given).</summary>
    private static async Task<long> RefusedAsync(CanaryHost canary, string? limit = null)
    {
        var text = await canary.Host.Http.GetStringAsync("/metrics");
        return RefusedSeries().Matches(text)
            .Where(m => limit is null || m.Groups[1].Value.Contains($"serviceproxy_limit=\"{limit}\"", StringComparison.Ordinal))
            .Sum(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^serviceproxy_udp_sessions_refused_total(\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex RefusedSeries();

    [GeneratedRegex(@"proxied TCP connections at most (\d+)")]
    private static partial Regex MaxConnectionsLine();
}

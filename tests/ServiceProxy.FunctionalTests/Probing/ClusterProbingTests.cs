using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Cluster;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Probing;

/// <summary>
/// Who probes in a cluster: two real svcproxy nodes on one real etcd. As each kubelet probes its own
/// pods, a pod bound to a node is probed by that node alone, whoever leads; a pod bound to no node is
/// probed by the controller leader; a pod bound to a node that runs no svcproxy is probed by nobody.
/// </summary>
public sealed class ClusterProbingTests
{
    [Fact]
    public async Task A_pod_is_probed_by_its_own_node_and_a_pod_without_a_node_by_the_leader()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        string[] common = ["--etcd-servers", etcd.ClientUrls, "--service-cidr", "127.200.9.0/24"];
        await using var a = await HostProcess.StartAsync([.. common, "--node-name", "node-a"]);
        await using var b = await HostProcess.StartAsync([.. common, "--node-name", "node-b", "--roles", "api,proxy"]);

        // Every probe fails: nothing listens on this port.
        var refused = Ports.FreeTcpPort();
        foreach (var (name, node) in new[] { ("on-b", "node-b"), ("unbound", null), ("elsewhere", "node-x") })
        {
            using var created = await a.Http.PostAsync("/api/v1/namespaces/default/pods", JsonContent.Create(Pod(name, node, refused)));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Each node keeps the Events it records; they are written a moment after the status.
        var hosts = new Dictionary<string, string[]>();
        await ClusterApi.UntilAsync(
            async () =>
            {
                JsonNode?[] events = [.. JsonNode.Parse(await a.Http.GetStringAsync("/api/v1/namespaces/default/events"))!["items"]!.AsArray(),
                    .. JsonNode.Parse(await b.Http.GetStringAsync("/api/v1/namespaces/default/events"))!["items"]!.AsArray()];
                foreach (var pod in (string[])["on-b", "unbound", "elsewhere"])
                {
                    hosts[pod] = [.. events
                        .Where(e => e!["involvedObject"]!["name"]!.GetValue<string>() == pod && e["reason"]!.GetValue<string>() == "Unhealthy")
                        .Select(e => e!["source"]!["host"]?.GetValue<string>() ?? "")
                        .Distinct()];
                }

                // Written through node-a: node-b may not have the pods from etcd yet (null), which is not "not ready".
                return await ReadyAsync(b, "on-b") == false && await ReadyAsync(b, "unbound") == false && hosts["on-b"].Length > 0 && hosts["unbound"].Length > 0;
            },
            "the probed pods not ready, with their Unhealthy events",
            TimeSpan.FromSeconds(30));

        // node-b runs no controllers: the pod bound to none was probed by node-a, the leader.
        Assert.Equal(["node-b"], hosts["on-b"]);
        Assert.Equal(["node-a"], hosts["unbound"]);
        Assert.Empty(hosts["elsewhere"]);
        Assert.True(await ReadyAsync(a, "elsewhere") == true);
    }

    /// <summary>The pod's Ready condition as <paramref name="node"/> serves it; null while that node does not have the pod yet.</summary>
    private static async Task<bool?> ReadyAsync(HostProcess node, string pod)
    {
        using var response = await node.Http.GetAsync($"/api/v1/namespaces/default/pods/{pod}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!;
        return status["conditions"]!.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True");
    }

    private static JsonObject Pod(string name, string? node, int port)
    {
        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["image"] = "none",
                ["readinessProbe"] = new JsonObject
                {
                    ["tcpSocket"] = new JsonObject { ["port"] = port },
                    ["periodSeconds"] = 1,
                    ["timeoutSeconds"] = 1,
                    ["failureThreshold"] = 1,
                },
            }),
        };
        if (node is not null)
        {
            spec["nodeName"] = node;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "probed" } },
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = "127.0.0.1",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            },
        };
    }
}

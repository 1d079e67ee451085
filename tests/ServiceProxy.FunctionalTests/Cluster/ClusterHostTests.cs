using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>Two real svcproxy processes with <c>--etcd-servers</c> on one real etcd: one API, and readiness that follows etcd.</summary>
public sealed class ClusterHostTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_nodes_share_objects_and_are_not_ready_while_etcd_is_away()
    {
        await using var etcd = await EtcdCluster.StartAsync(1);
        string[] args = ["--etcd-servers", etcd.ClientUrls, "--service-cidr", "127.200.7.0/24"];
        await using var a = await HostProcess.StartAsync(args);
        await using var b = await HostProcess.StartAsync(args);

        using var created = await a.Http.PostAsync("/api/v1/namespaces/default/pods", JsonContent.Create(Pod("p1")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var version = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await Until(async () => (await b.Http.GetAsync("/api/v1/namespaces/default/pods/p1")).StatusCode == HttpStatusCode.OK);
        var seen = JsonNode.Parse(await b.Http.GetStringAsync("/api/v1/namespaces/default/pods/p1"))!;
        Assert.Equal(version, seen["metadata"]!["resourceVersion"]!.GetValue<string>());

        await etcd.KillAsync(0);
        await Until(async () => (await a.Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable);
        var stopwatch = Stopwatch.StartNew();
        using var refused = await a.Http.PostAsync("/api/v1/namespaces/default/pods", JsonContent.Create(Pod("p2")));
        Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, (await b.Http.GetAsync("/api/v1/namespaces/default/pods/p1")).StatusCode);

        etcd.Restart(0);
        await etcd.WaitHealthyAsync();
        await Until(async () => (await a.Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK);
        using var after = await b.Http.PostAsync("/api/v1/namespaces/default/pods", JsonContent.Create(Pod("p3")));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        await Until(async () => (await a.Http.GetAsync("/api/v1/namespaces/default/pods/p3")).StatusCode == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NotFound, (await a.Http.GetAsync("/api/v1/namespaces/default/pods/p2")).StatusCode);
    }

    private static JsonObject Pod(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "none" }) },
    };

    private static async Task Until(Func<Task<bool>> condition)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(stopwatch.Elapsed < Bound, "condition not met in time");
            await Task.Delay(100);
        }
    }
}

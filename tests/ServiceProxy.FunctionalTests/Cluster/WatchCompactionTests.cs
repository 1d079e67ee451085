using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// <c>etcdctl compact</c> under a live HTTP watch: node-0 follows etcd through member 0 only; while that
/// member is down the others commit writes and compact past them. When it returns, node-0's etcd watch
/// resumes from a compacted revision: node-0 relists, its live watch ends with 410 Gone, a watch that
/// resumes from the old resourceVersion gets 410 "too old resource version", and a relist and a
/// watch from it work.
/// </summary>
public sealed class WatchCompactionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_watch_resuming_across_a_compaction_gets_410_gone_and_a_relist_works()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        string[] shared = ["--roles", SvcproxyCluster.ControlPlane, "--service-cidr", "127.201.0.0/24"];
        await using var a = await HostProcess.StartAsync([.. shared, "--node-name", "node-0", "--etcd-servers", etcd.Members[0].ClientUrl]);
        await using var b = await HostProcess.StartAsync([.. shared, "--node-name", "node-1", "--etcd-servers", etcd.ClientUrls]);

        var first = await CreateAsync(b.Http, "pods", Pod("p0", "app", "127.0.0.1", ready: true));
        await UntilAsync(async () => (await a.Http.GetAsync("/api/v1/namespaces/default/pods/p0")).StatusCode == HttpStatusCode.OK, "p0 on node-0");
        var from = ResourceVersion(first);

        using var watchCancel = new CancellationTokenSource(Bound * 2);
        using var watch = await a.Http.GetAsync($"/api/v1/namespaces/default/pods?watch=1&resourceVersion={from}", HttpCompletionOption.ResponseHeadersRead, watchCancel.Token);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
        var events = ReadEventsAsync(await watch.Content.ReadAsStreamAsync(watchCancel.Token), watchCancel.Token);

        await etcd.KillAsync(0);
        await etcd.WaitHealthyAsync(); // The other two elect a leader (when member 0 led) before the writes.
        JsonObject last = first;
        for (var i = 1; i <= 3; i++)
        {
            last = await CreateRetryingAsync(b, Pod($"p{i}", "app", "127.0.0.1", ready: true));
        }

        var revision = long.Parse(ResourceVersion(last), CultureInfo.InvariantCulture);
        await etcd.CtlAsync("compact", revision.ToString(CultureInfo.InvariantCulture));
        etcd.Restart(0);
        await etcd.WaitHealthyAsync();

        // The live watch ends with an ERROR event carrying 410 once node-0 relists.
        var received = await events;
        var error = received.Last();
        Assert.Equal("ERROR", error["type"]!.GetValue<string>());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());

        using var resumed = await a.Http.GetAsync($"/api/v1/namespaces/default/pods?watch=1&resourceVersion={from}", HttpCompletionOption.ResponseHeadersRead);
        var body = await resumed.Content.ReadAsStringAsync();
        Assert.True(resumed.StatusCode == HttpStatusCode.Gone || body.Contains("\"code\":410", StringComparison.Ordinal), $"{(int)resumed.StatusCode} {body}");
        Assert.Contains("too old resource version", body, StringComparison.Ordinal);

        var list = await GetAsync(a.Http, "/api/v1/namespaces/default/pods");
        Assert.Equal(["p0", "p1", "p2", "p3"], list["items"]!.AsArray().Select(p => p!["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        using var relisted = new CancellationTokenSource(Bound);
        using var again = await a.Http.GetAsync($"/api/v1/namespaces/default/pods?watch=1&resourceVersion={ResourceVersion(list)}", HttpCompletionOption.ResponseHeadersRead, relisted.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var next = ReadEventsAsync(await again.Content.ReadAsStreamAsync(relisted.Token), relisted.Token, stopAt: "p4");
        await CreateAsync(b.Http, "pods", Pod("p4", "app", "127.0.0.1", ready: true));
        var seen = await next;
        Assert.Equal("ADDED p4", $"{seen.Last()["type"]} {seen.Last()["object"]!["metadata"]!["name"]}");
    }

    /// <summary>Creates a Pod, again after a 5xx (a write the member just killed did not commit), at most 5 times.</summary>
    private static async Task<JsonObject> CreateRetryingAsync(HostProcess node, JsonObject pod)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await node.Http.PostAsync("/api/v1/namespaces/default/pods", JsonContent.Create(pod));
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return JsonNode.Parse(text)!.AsObject();
            }

            Assert.True((int)response.StatusCode >= 500 && attempt < 5, $"POST pods: {(int)response.StatusCode} {text}");
        }
    }

    /// <summary>Reads watch events (one JSON object a line) until an ERROR, the object named <paramref name="stopAt"/>, or the end.</summary>
    private static async Task<List<JsonNode>> ReadEventsAsync(Stream stream, CancellationToken cancellationToken, string? stopAt = null)
    {
        var events = new List<JsonNode>();
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var e = JsonNode.Parse(line)!;
            events.Add(e);
            if (e["type"]!.GetValue<string>() == "ERROR" || e["object"]?["metadata"]?["name"]?.GetValue<string>() == stopAt)
            {
                break;
            }
        }

        return events;
    }
}

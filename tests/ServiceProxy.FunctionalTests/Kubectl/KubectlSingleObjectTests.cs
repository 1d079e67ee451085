using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// <c>kubectl get KIND NAME</c> (and <c>-o wide</c>) prints the columns and cells of the list's row
/// for that object: a GET of one object answers <c>as=Table</c> with a one-row Table, as kube-apiserver does.
/// </summary>
public sealed class KubectlSingleObjectTests : IAsyncLifetime
{
    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync([]);
        _kubectl = Kubectl.ForServer(_host.AdminUrl);
        var samples = Path.Combine(AppContext.BaseDirectory, "samples", "manifests");
        var applied = await _kubectl.RunAsync("apply", "-f", Path.Combine(samples, "pods.yaml"), "-f", Path.Combine(samples, "myapp-svc.yaml"), "-f", Path.Combine(samples, "redis-svc.yaml"));
        Assert.True(applied.ExitCode == 0, applied.Stderr);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
    }

    [Theory]
    [InlineData("services")]
    [InlineData("svc")]
    [InlineData("endpoints")]
    [InlineData("pods")]
    [InlineData("endpointslices")]
    [InlineData("namespaces")]
    [InlineData("nodes")]
    public async Task Get_one_object_prints_the_row_of_the_list(string kind)
    {
        foreach (var wide in new[] { false, true })
        {
            string[] output = wide ? ["-o", "wide"] : [];
            var list = await _kubectl.RunAsync(["get", kind, .. output]);
            Assert.True(list.ExitCode == 0, list.Stderr);
            foreach (var name in Lines(list.Stdout).Skip(1).Select(l => Cells(l)[0]))
            {
                var single = await _kubectl.RunAsync(["get", kind, name, .. output]);
                Assert.True(single.ExitCode == 0, single.Stderr);
                Assert.Equal(Header(list.Stdout), Header(single.Stdout));
                Assert.Equal(2, Lines(single.Stdout).Length);
                Assert.Equal(WithoutAge(Row(list.Stdout, name)), WithoutAge(Row(single.Stdout, name)));
                if (!wide)
                {
                    AssertAligned(single.Stdout); // Wide pod headers hold spaces (NOMINATED NODE), which the check cannot split.
                }
            }
        }
    }

    [Fact]
    public async Task Wide_columns_of_one_object()
    {
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Header((await _kubectl.RunAsync("get", "svc", "redis")).Stdout));
        var wide = await _kubectl.RunAsync("get", "svc", "redis", "-o", "wide");
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], Header(wide.Stdout));
        Assert.Equal("app=redis,role=logstor", Row(wide.Stdout, "redis")[6]);
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"], Header((await _kubectl.RunAsync("get", "pod", "redis-0", "-o", "wide")).Stdout));
    }

    [Fact]
    public async Task Get_one_object_with_watch_prints_its_row_then_its_changes()
    {
        using var watch = _kubectl.Start(["get", "svc", "redis", "-w"]);
        var lines = new ConcurrentQueue<string>();
        watch.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        watch.BeginOutputReadLine();
        try
        {
            await WaitForAsync(lines, l => l.StartsWith("redis ", StringComparison.Ordinal));
            var patched = await _kubectl.RunAsync("patch", "svc", "redis", "-p", """{"spec":{"sessionAffinity":"ClientIP"}}""");
            Assert.True(patched.ExitCode == 0, patched.Stderr);
            await WaitForAsync(lines, l => l.StartsWith("redis ", StringComparison.Ordinal), count: 2);
        }
        finally
        {
            await Kubectl.StopAsync(watch);
        }

        var all = lines.ToList();
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Cells(all[0]));
        Assert.Single(all, l => l.StartsWith("NAME ", StringComparison.Ordinal));
        Assert.All(all.Where(l => l.StartsWith("redis ", StringComparison.Ordinal)).Select(Cells), row => Assert.Equal(["redis", "ClusterIP"], row[..2]));
    }

    [Theory]
    [InlineData("", "PartialObjectMetadata")]
    [InlineData("&includeObject=Metadata", "PartialObjectMetadata")]
    [InlineData("&includeObject=Object", "Service")]
    [InlineData("&includeObject=None", null)]
    public async Task A_table_of_one_object_honours_includeObject(string query, string? objectKind)
    {
        using var response = await GetTableAsync("/api/v1/namespaces/default/services/redis?" + query.TrimStart('&'));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("Table", "meta.k8s.io/v1"), (table["kind"]!.GetValue<string>(), table["apiVersion"]!.GetValue<string>()));
        var columns = table["columnDefinitions"]!.AsArray();
        Assert.Equal(7, columns.Count);
        Assert.Equal(("Selector", 1), (columns[6]!["name"]!.GetValue<string>(), columns[6]!["priority"]!.GetValue<int>()));
        var row = Assert.Single(table["rows"]!.AsArray())!;
        Assert.Equal("redis", row["cells"]![0]!.GetValue<string>());
        Assert.Equal(objectKind, row["object"]?["kind"]?.GetValue<string>());
        if (objectKind is not null)
        {
            Assert.Equal("redis", row["object"]!["metadata"]!["name"]!.GetValue<string>());
            Assert.Equal(row["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>(), table["metadata"]!["resourceVersion"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task An_unknown_includeObject_is_a_400()
    {
        using var response = await GetTableAsync("/api/v1/namespaces/default/services/redis?includeObject=All");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("Status", "BadRequest"), (status["kind"]!.GetValue<string>(), status["reason"]!.GetValue<string>()));
        Assert.Equal("unrecognized includeObject value: \"All\"", status["message"]!.GetValue<string>());
    }

    private async Task<HttpResponseMessage> GetTableAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        return await _host.Http.SendAsync(request);
    }

    /// <summary>The cells but the AGE one (<c>5s</c>, <c>2m10s</c>), which may tick between the two commands.</summary>
    private static string[] WithoutAge(string[] row) => [.. row.Where(c => !Regex.IsMatch(c, "^([0-9]+[smhdy])+$"))];

    private static async Task WaitForAsync(ConcurrentQueue<string> lines, Func<string, bool> match, int count = 1)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (lines.Count(match) < count)
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"kubectl get -w printed no such line within 20 s:\n{string.Join('\n', lines)}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }
}

using ServiceProxy.FunctionalTests.Host;
using HostManifests = ServiceProxy.FunctionalTests.Host.Manifests;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// Manifests that used to lie or stop the host: a file that applies half, a watched directory that
/// vanishes, and a directory whose unrelated files churn so fast that edits never applied.
/// </summary>
public sealed class ManifestHostileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-manifest-hostile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_file_whose_services_share_a_nodePort_is_reported_and_the_host_starts_without_it()
    {
        await using var backends = await HttpBackends.StartAsync("good-pod");
        var (goodPort, sharedPort) = (Ports.FreeTcpPort(), Ports.FreeTcpPort());
        File.WriteAllText(Path.Combine(_directory, "good.yaml"), HostManifests.StaticService("good", goodPort, backends.Pods[0].Port));
        var duplicate = Path.Combine(_directory, "duplicate.yaml");
        File.WriteAllText(duplicate, TwoServicesOnOneNodePort(sharedPort));

        await using var host = await HostProcess.StartAsync(["-f", _directory, "--node-port-range", $"{Math.Min(goodPort, sharedPort)}-{Math.Max(goodPort, sharedPort)}"]);

        await host.WaitForOutputAsync($"{duplicate}:19 spec.ports[0].nodePort: Invalid value: {sharedPort}: provided port is already allocated", TimeSpan.FromSeconds(10));
        Assert.Equal(1, (await host.CliAsync("get", "svc", "dup-a")).ExitCode);
        Assert.Equal(1, (await host.CliAsync("get", "svc", "dup-b")).ExitCode);
        Assert.Equal(["good-pod"], await Curl.LoopAsync($"http://127.0.0.1:{goodPort}/hostname.html", 1, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Under_watch_a_file_whose_services_share_a_nodePort_applies_nothing()
    {
        await using var canary = await CanaryHost.StartAsync(["--watch"]);
        var duplicate = Path.Combine(canary.ManifestDirectory, "duplicate.yaml");

        // The canary owns the only NodePort of the range: the two Services collide on an explicit clusterIP instead.
        File.WriteAllText(duplicate, TwoServicesOnOneClusterIP(await ClusterIPOfAsync(canary.Host, "canary", 50)));

        await canary.Host.WaitForOutputAsync($"{duplicate}:14 spec.clusterIPs: Invalid value: ", TimeSpan.FromSeconds(20));
        Assert.Equal(1, (await canary.Host.CliAsync("get", "svc", "dup-a")).ExitCode);
        Assert.Equal(1, (await canary.Host.CliAsync("get", "svc", "dup-b")).ExitCode);
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task A_watched_directory_that_vanishes_keeps_its_services_and_their_cluster_IPs()
    {
        var canary = await CanaryHost.StartAsync(["--watch"]);
        var moved = canary.ManifestDirectory + "-moved";
        await using (canary)
        {
            var clusterIP = await ClusterIPOfAsync(canary.Host, "canary");
            Directory.Move(canary.ManifestDirectory, moved);
            try
            {
                await canary.Host.WaitForOutputAsync($"{canary.ManifestDirectory} is missing", TimeSpan.FromSeconds(20));
                await Task.Delay(TimeSpan.FromSeconds(3)); // more than a poll interval plus the debounce
                Assert.Equal(0, (await canary.Host.CliAsync("get", "svc", "canary")).ExitCode);
                await canary.AssertServingAsync();
            }
            finally
            {
                Directory.Move(moved, canary.ManifestDirectory);
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(clusterIP, await ClusterIPOfAsync(canary.Host, "canary"));
            await canary.AssertServingAsync();
            Assert.DoesNotContain("deleting its objects", canary.Host.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("app.log")]
    [InlineData(".extra.yaml.swp")]
    [InlineData("churn.yaml")]
    public async Task An_edit_applies_while_another_file_in_the_directory_is_rewritten_without_pause(string churned)
    {
        await using var canary = await CanaryHost.StartAsync(["--watch"]);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var churn = ChurnAsync(Path.Combine(canary.ManifestDirectory, churned), churned.EndsWith(".yaml", StringComparison.Ordinal) ? HostManifests.ClusterIPService("churn") : "noise\n", stop.Token);
        try
        {
            await Task.Delay(500);
            File.WriteAllText(Path.Combine(canary.ManifestDirectory, "extra.yaml"), HostManifests.ClusterIPService("extra"));
            var written = DateTime.UtcNow;

            // The watcher polls every 2 s and applies at most 2 s after the first event.
            var applied = false;
            while (!applied && DateTime.UtcNow - written < TimeSpan.FromSeconds(8))
            {
                await Task.Delay(200);
                using var get = await canary.Host.Http.GetAsync("/api/v1/namespaces/default/services/extra");
                applied = get.IsSuccessStatusCode;
            }

            Assert.True(applied, $"extra.yaml not applied within 8 s while {churned} was rewritten:\n{canary.Host.Output}");
            await stop.CancelAsync();
            await churn;
            await canary.AssertServingAsync();
        }
        finally
        {
            await stop.CancelAsync();
            await churn;
        }
    }

    /// <summary>Rewrites <paramref name="path"/> back to back (no pause a quiet period could fall into) until stopped.</summary>
    private static async Task ChurnAsync(string path, string text, CancellationToken stop)
    {
        await Task.Yield();
        for (var i = 0; i < 1_000_000 && !stop.IsCancellationRequested; i++)
        {
            File.WriteAllText(path, text + $"# {i}\n");
            if (i % 16 == 0)
            {
                await Task.Yield();
            }
        }
    }

    private static async Task<string?> ClusterIPOfAsync(HostProcess host, string name, int? lastOctet = null)
    {
        var json = (await host.CliAsync("get", "svc", name, "-o", "json")).Stdout;
        var ip = System.Text.Json.Nodes.JsonNode.Parse(json)?["spec"]?["clusterIP"]?.ToString();
        return lastOctet is null || ip is null ? ip : ip[..(ip.LastIndexOf('.') + 1)] + lastOctet;
    }

    /// <summary>Line 14 is dup-b's spec.</summary>
    private static string TwoServicesOnOneClusterIP(string? clusterIP) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: dup-a
        spec:
          clusterIP: {clusterIP}
          ports:
          - port: 80
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: dup-b
        spec:
          clusterIP: {clusterIP}
          ports:
          - port: 80

        """;

    /// <summary>Line 19 is dup-b's nodePort.</summary>
    private static string TwoServicesOnOneNodePort(int nodePort) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: dup-a
        spec:
          type: NodePort
          ports:
          - port: 80
            nodePort: {nodePort}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: dup-b
        spec:
          type: NodePort
          ports:
          - port: 80
            nodePort: {nodePort}

        """;
}

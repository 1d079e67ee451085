namespace ServiceProxy.FunctionalTests.Host;

/// <summary><c>--data-dir</c>: what the API answered 2xx for survives kill -9.</summary>
public sealed class PersistenceTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("svcproxy-data-").FullName;
    private readonly string _manifests = Directory.CreateTempSubdirectory("svcproxy-persist-").FullName;
    private HttpBackends _backends = null!;

    public async Task InitializeAsync() => _backends = await HttpBackends.StartAsync("myapp-deploy-69b47bc96d-rf7bs");

    public async Task DisposeAsync()
    {
        await _backends.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
        Directory.Delete(_manifests, recursive: true);
    }

    [Fact]
    public async Task Objects_applied_through_the_API_are_back_and_served_after_kill_9()
    {
        var nodePort = Ports.FreeTcpPort();
        // The same service CIDR each time: a restored object keeps its cluster IP.
        string[] args = ["--data-dir", _dataDir, "--node-port-range", $"{nodePort}-{nodePort}", "--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}.0/24"];
        var objects = Path.Combine(_manifests, "myapp.yaml");
        File.WriteAllText(objects, _backends.PodManifests(Manifests.MyAppLabels) + "---\n" + Manifests.Sample("myapp-svc.yaml", nodePort));

        string clusterIP;
        await using (var first = await HostProcess.StartAsync(args))
        {
            var applied = await first.CliAsync("apply", "-f", objects);
            Assert.True(applied.ExitCode == 0, applied.Stderr);
            clusterIP = (await first.CliAsync("get", "svc", "myapp", "-o", "json")).Stdout;
            await first.KillAsync();
        }

        await using var second = await HostProcess.StartAsync(args);
        var get = await second.CliAsync("get", "svc", "myapp", "-o", "json");
        Assert.True(get.ExitCode == 0, get.Stderr + second.Output);
        Assert.Equal(ClusterIPOf(clusterIP), ClusterIPOf(get.Stdout));
        Assert.Equal(["myapp-deploy-69b47bc96d-rf7bs"], await Curl.LoopAsync($"http://127.0.0.1:{nodePort}/hostname.html", 1, TimeSpan.FromSeconds(20)));

        // Deleted through the API: gone after the next restart too.
        Assert.Equal(0, (await second.CliAsync("delete", "svc", "myapp")).ExitCode);
        await second.KillAsync();
        await using var third = await HostProcess.StartAsync(args);
        Assert.Equal(1, (await third.CliAsync("get", "svc", "myapp")).ExitCode);
    }

    private static string? ClusterIPOf(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)?["spec"]?["clusterIP"]?.ToString();
}

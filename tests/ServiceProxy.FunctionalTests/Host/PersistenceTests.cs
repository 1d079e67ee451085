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

/// <summary>
/// <c>--data-dir</c> across a restart: resourceVersions go on growing, so a client's old version is
/// never served again and a watch resuming from it gets 410 Gone, which makes followers relist.
/// </summary>
public sealed class ResourceVersionRestartTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("svcproxy-rv-restart-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    [Fact]
    public async Task A_watch_from_before_a_restart_is_too_old_and_new_versions_are_higher()
    {
        string[] args = ["--data-dir", _dataDir, "--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}.0/24"];
        long before;
        await using (var first = await HostProcess.StartAsync(args))
        {
            before = await CreateServiceAsync(first, "before");
            await first.KillAsync();
        }

        await using var second = await HostProcess.StartAsync(args);
        var after = await CreateServiceAsync(second, "after");
        Assert.True(after > before, $"{after} after the restart, {before} before");

        using var watch = await second.Http.GetAsync($"/api/v1/namespaces/default/services?watch=1&resourceVersion={before}", HttpCompletionOption.ResponseHeadersRead);
        var body = await watch.Content.ReadAsStringAsync();
        Assert.True(watch.StatusCode == System.Net.HttpStatusCode.Gone || body.Contains("\"code\":410", StringComparison.Ordinal), $"{(int)watch.StatusCode} {body}");
        Assert.Contains("too old resource version", body, StringComparison.Ordinal);
    }

    private static async Task<long> CreateServiceAsync(HostProcess host, string name)
    {
        using var response = await host.Http.PostAsync("/api/v1/namespaces/default/services", new StringContent(
            $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}"},"spec":{"ports":[{"port":80}]}}""",
            System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        return long.Parse(System.Text.Json.Nodes.JsonNode.Parse(text)!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

namespace ServiceProxy.FunctionalTests.Host;

/// <summary><c>run -f DIR --watch</c>: hot reload under load, bad edits keep the last good state, deleted files delete their objects.</summary>
public sealed class ManifestWatchTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-watch-").FullName;
    private HttpBackends _backends = null!;

    public async Task InitializeAsync() => _backends = await HttpBackends.StartAsync("stable-pod", "old-pod", "new-pod");

    public async Task DisposeAsync()
    {
        await _backends.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Hot_reload_while_load_runs_loses_no_request_on_the_untouched_service()
    {
        var (stablePort, changingPort) = TwoFreePorts();
        File.WriteAllText(Path.Combine(_directory, "stable.yaml"), Manifests.StaticService("stable", stablePort, _backends.Pods[0].Port));
        var changing = Path.Combine(_directory, "changing.yaml");
        File.WriteAllText(changing, Manifests.StaticService("changing", changingPort, _backends.Pods[1].Port));
        await using var host = await HostProcess.StartAsync(["-f", _directory, "--watch", "--node-port-range", Range(stablePort, changingPort)]);
        Assert.Equal(["old-pod"], (await Curl.LoopAsync($"http://127.0.0.1:{changingPort}/hostname.html", 1, TimeSpan.FromSeconds(10))));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var load = LoadAsync($"http://127.0.0.1:{stablePort}/hostname.html", maxRequests: 5000, stop.Token);

        // Flip the changing service between its two backends a few times while the load runs.
        for (var round = 0; round < 3; round++)
        {
            var target = round % 2 == 0 ? _backends.Pods[2] : _backends.Pods[1];
            File.WriteAllText(changing, Manifests.StaticService("changing", changingPort, target.Port));
            await WaitServedByAsync($"http://127.0.0.1:{changingPort}/hostname.html", target.Name);
        }

        await stop.CancelAsync();
        var (succeeded, failed, wrong) = await load;
        Assert.Equal(0, failed);
        Assert.Equal(0, wrong);
        Assert.True(succeeded > 0, "the load loop made no request");
    }

    [Fact]
    public async Task A_bad_edit_is_logged_with_file_and_line_and_the_last_good_state_keeps_serving()
    {
        var nodePort = Ports.FreeTcpPort();
        var file = Path.Combine(_directory, "svc.yaml");
        File.WriteAllText(file, Manifests.StaticService("edited", nodePort, _backends.Pods[0].Port));
        await using var host = await HostProcess.StartAsync(["-f", file, "--watch", "--node-port-range", Range(nodePort, nodePort)]);
        var url = $"http://127.0.0.1:{nodePort}/hostname.html";
        Assert.Equal(["stable-pod"], await Curl.LoopAsync(url, 1, TimeSpan.FromSeconds(10)));

        // Line 7 gets an unsupported value; the same edit also points the Endpoints at another backend.
        var bad = Manifests.StaticService("edited", nodePort, _backends.Pods[1].Port).Replace("  type: NodePort\n", "  type: NodePort\n  sessionAffinity: ClusterIP\n", StringComparison.Ordinal);
        Assert.Equal("  sessionAffinity: ClusterIP", bad.Split('\n')[6]);
        File.WriteAllText(file, bad);

        var logged = await host.WaitForOutputAsync($"{file}:7 spec.sessionAffinity: Unsupported value: \"ClusterIP\"", TimeSpan.FromSeconds(20));
        Assert.Contains("supported values: \"ClientIP\", \"None\"", logged, StringComparison.Ordinal);
        Assert.Equal(["stable-pod", "stable-pod", "stable-pod"], await Curl.LoopAsync(url, 3, TimeSpan.FromSeconds(10)));
        var endpoints = await host.CliAsync("get", "ep", "edited");
        Assert.Contains($"127.0.0.1:{_backends.Pods[0].Port}", endpoints.Stdout, StringComparison.Ordinal);

        // Fixing the file applies it; deleting it deletes its objects.
        File.WriteAllText(file, Manifests.StaticService("edited", nodePort, _backends.Pods[1].Port));
        await WaitServedByAsync(url, "old-pod");
        File.Delete(file);
        await WaitAsync(async () => (await host.CliAsync("get", "svc", "edited")).ExitCode == 1, "the service of a deleted file is deleted");
    }

    private static async Task<(int Succeeded, int Failed, int Wrong)> LoadAsync(string url, int maxRequests, CancellationToken stop)
    {
        await Task.Yield();
        int succeeded = 0, failed = 0, wrong = 0;
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < maxRequests && !stop.IsCancellationRequested; i++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.ConnectionClose = true;
                using var response = await http.SendAsync(request, CancellationToken.None);
                var body = (await response.Content.ReadAsStringAsync(CancellationToken.None)).Trim();
                if (!response.IsSuccessStatusCode)
                {
                    failed++;
                }
                else if (body != "stable-pod")
                {
                    wrong++;
                }
                else
                {
                    succeeded++;
                }
            }
            catch (HttpRequestException)
            {
                failed++;
            }
        }

        return (succeeded, failed, wrong);
    }

    private static async Task WaitServedByAsync(string url, string name) =>
        await WaitAsync(async () =>
        {
            try
            {
                return (await Curl.LoopAsync(url, 1, TimeSpan.FromSeconds(10)))[0] == name;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"{url} served by {name}");

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static (int, int) TwoFreePorts()
    {
        var a = Ports.FreeTcpPort();
        int b;
        do
        {
            b = Ports.FreeTcpPort();
        }
        while (b == a);
        return (a, b);
    }

    private static string Range(int a, int b) => $"{Math.Min(a, b)}-{Math.Max(a, b)}";
}

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>The seed transcript (kubectl apply, get, describe, curl loop, patch affinity) through the svcproxy CLI and a real host.</summary>
public sealed class SeedTranscriptTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-seed-").FullName;
    private HttpBackends _myapp = null!;
    private HttpBackends _redis = null!;
    private HostProcess _host = null!;
    private int _nodePort;

    public async Task InitializeAsync()
    {
        _myapp = await HttpBackends.StartAsync("myapp-deploy-69b47bc96d-4hxxw", "myapp-deploy-69b47bc96d-95bc4", "myapp-deploy-69b47bc96d-pjv74");
        _redis = await HttpBackends.StartAsync("redis-5b5d4f9c8-x7k2p");
        _nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{_nodePort}-{_nodePort}"]);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _myapp.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Apply_get_describe_round_robin_then_sticky_then_round_robin()
    {
        var pods = Write("pods.yaml", _myapp.PodManifests(Manifests.MyAppLabels) + "---\n" + _redis.PodManifests(Manifests.RedisLabels));
        var applied = await _host.CliAsync("apply", "-f", pods);
        Assert.Equal(0, applied.ExitCode);
        Assert.Equal(4, applied.Stdout.Split('\n').Count(l => l.StartsWith("pod/", StringComparison.Ordinal) && l.EndsWith(" created", StringComparison.Ordinal)));

        var redis = await _host.CliAsync("apply", "-f", Write("redis-svc.yaml", Manifests.Sample("redis-svc.yaml")));
        Assert.Equal("service/redis created\n", redis.Stdout);
        var myappFile = Write("myapp-svc.yaml", Manifests.Sample("myapp-svc.yaml", _nodePort));
        var myapp = await _host.CliAsync("apply", "-f", myappFile);
        Assert.Equal("service/myapp created\n", myapp.Stdout);

        var get = await _host.CliAsync("get", "svc");
        Assert.Equal(0, get.ExitCode);
        var lines = get.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var myappRow = lines.Single(l => l.StartsWith("myapp ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["myapp", "NodePort"], myappRow[..2]);
        Assert.Equal(["<none>", $"80:{_nodePort}/TCP"], myappRow[3..5]);
        var redisRow = lines.Single(l => l.StartsWith("redis ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["redis", "ClusterIP"], redisRow[..2]);
        Assert.Equal(["<none>", "6379/TCP"], redisRow[3..5]);
        Assert.Matches(@"^\d+s$", redisRow[5]);
        // Column alignment is kubectl's: every header starts where its cells start.
        Assert.Equal(lines[0].IndexOf("PORT(S)", StringComparison.Ordinal), lines[1].IndexOf(lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[4], StringComparison.Ordinal));

        var describe = await _host.CliAsync("describe", "svc", "redis");
        Assert.Equal(0, describe.ExitCode);
        Assert.Contains("Name:              redis\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Selector:          app=redis,role=logstor\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Endpoints:         127.0.0.1:{_redis.Pods[0].Port}\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Port:              <unset>  6379/TCP\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Session Affinity:  None\n", describe.Stdout, StringComparison.Ordinal);

        var url = $"http://127.0.0.1:{_nodePort}/hostname.html";
        AssertRoundRobin(await Curl.LoopAsync(url, 6, TimeSpan.FromSeconds(30)));

        var patched = await _host.CliAsync("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"ClientIP"}}""");
        Assert.Equal("service/myapp patched\n", patched.Stdout);
        var sticky = await EventuallyAsync(url, names => names.Distinct().Count() == 1);
        Assert.Single(sticky.Distinct());

        var typo = await _host.CliAsync("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"ClusterIP"}}""");
        Assert.Equal(1, typo.ExitCode);
        Assert.Equal("The Service \"myapp\" is invalid: spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"\n", typo.Stderr);

        Assert.Equal(0, (await _host.CliAsync("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"None"}}""")).ExitCode);
        AssertRoundRobin(await EventuallyAsync(url, names => names.Distinct().Count() == 3));

        // The file never set sessionAffinity: re-applying it leaves the patched field alone.
        Assert.Equal("service/myapp unchanged\n", (await _host.CliAsync("apply", "-f", myappFile)).Stdout);
        Assert.Equal("service/myapp configured\n", (await _host.CliAsync("apply", "-f", Write("myapp-svc.yaml", Manifests.Sample("edits/myapp-svc-clientip.yaml", _nodePort)))).Stdout);

        var missing = await _host.CliAsync("get", "svc", "nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error from server (NotFound): services \"nope\" not found\n", missing.Stderr);

        Assert.Equal("service \"myapp\" deleted\n", (await _host.CliAsync("delete", "svc", "myapp")).Stdout);
    }

    /// <summary>Six requests over three pods, strictly in turn: each pod twice, never twice in a row.</summary>
    private void AssertRoundRobin(List<string> names)
    {
        Assert.Equal(6, names.Count);
        Assert.Equal(_myapp.Pods.Select(p => p.Name).Order(), names.Distinct().Order());
        Assert.All(names.GroupBy(n => n), g => Assert.Equal(2, g.Count()));
        for (var i = 3; i < names.Count; i++)
        {
            Assert.Equal(names[i - 3], names[i]);
        }
    }

    /// <summary>Curl loops (bounded) until one satisfies <paramref name="done"/>: the data plane applies a patch asynchronously.</summary>
    private static async Task<List<string>> EventuallyAsync(string url, Func<List<string>, bool> done)
    {
        List<string> names = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            names = await Curl.LoopAsync(url, 6, TimeSpan.FromSeconds(30));
            if (done(names))
            {
                return names;
            }

            await Task.Delay(100);
        }

        return names;
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }
}

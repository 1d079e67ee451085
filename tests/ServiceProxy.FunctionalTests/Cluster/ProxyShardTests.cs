using System.Globalization;
using System.Net;
using System.Text;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// <c>--proxy-shard K/N</c>: two processes on one node, node A serving the API and shard 0, node A's
/// second process following that API with shard 1. Each proxies only its own Services, and between
/// them every Service answers, those created later too.
/// </summary>
public sealed class ProxyShardTests : IAsyncLifetime
{
    private const int Count = 8;
    private readonly string _dir = Directory.CreateTempSubdirectory("svcproxy-shard-").FullName;
    private readonly string _net = $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}";
    private HttpBackends _backends = null!;

    public async Task InitializeAsync() => _backends = await HttpBackends.StartAsync("pod-one");

    public async Task DisposeAsync()
    {
        await _backends.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Each_shard_proxies_its_own_Services_and_together_they_proxy_all()
    {
        var manifest = Path.Combine(_dir, "services.yaml");
        await File.WriteAllTextAsync(manifest, string.Join("---\n", Enumerable.Range(0, Count).Select(Objects)));
        await using var a = await HostProcess.StartAsync(["--roles", "api,controllers,proxy", "--proxy-shard", "0/2", "--node-name", "node-a",
            "--service-cidr", $"{_net}.0/24", "-f", manifest]);
        var owned = Enumerable.Range(0, Count).ToLookup(i => ProxyShard.Of("default", $"svc-{i}", 2));
        Assert.NotEmpty(owned[0]);
        Assert.NotEmpty(owned[1]);

        // Shard 0 alone: its Services answer, shard 1's are not bound at all.
        foreach (var i in owned[0])
        {
            Assert.True(await RawHttp.EventuallyAnswersAsync(ClusterIP(i), IPAddress.Loopback), $"svc-{i} (shard 0) does not answer");
        }

        foreach (var i in owned[1])
        {
            Assert.Null(await RawHttp.ExchangeAsync(ClusterIP(i), IPAddress.Loopback));
        }

        // The second process follows A's API with shard 1: now every Service answers.
        await using var b = await HostProcess.StartAsync(["--roles", "proxy", "--master", a.AdminUrl, "--proxy-shard", "1/2", "--node-name", "node-a",
            "--remote-api-max-backoff", "200ms"]);
        foreach (var i in Enumerable.Range(0, Count))
        {
            Assert.True(await RawHttp.EventuallyAnswersAsync(ClusterIP(i), IPAddress.Loopback), $"svc-{i} does not answer with both shards up");
        }

        // Services created through the API afterwards land on their own shard, whichever process that is.
        foreach (var i in Enumerable.Range(Count, 4))
        {
            var apply = await a.CliAsync("apply", "-f", await WriteAsync($"later-{i}.yaml", Objects(i)));
            Assert.True(apply.ExitCode == 0, apply.Stderr);
            Assert.True(await RawHttp.EventuallyAnswersAsync(ClusterIP(i), IPAddress.Loopback), $"svc-{i}, created later, does not answer");
        }

        // Shard 1's process gone, its Services stop answering and shard 0's go on.
        await b.KillAsync();
        var all = Enumerable.Range(0, Count + 4).ToLookup(i => ProxyShard.Of("default", $"svc-{i}", 2));
        foreach (var i in all[1])
        {
            Assert.Null(await RawHttp.ExchangeAsync(ClusterIP(i), IPAddress.Loopback));
        }

        foreach (var i in all[0])
        {
            Assert.NotNull(await RawHttp.ExchangeAsync(ClusterIP(i), IPAddress.Loopback));
        }
    }

    private IPEndPoint ClusterIP(int i) => new(IPAddress.Parse($"{_net}.{10 + i}"), 80);

    private async Task<string> WriteAsync(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, text, Encoding.UTF8);
        return path;
    }

    private string Objects(int i) => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: svc-{i}
        spec:
          clusterIP: {_net}.{10 + i}
          ports:
          - port: 80
            targetPort: {_backends.Pods[0].Port}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata:
          name: svc-{i}
        subsets:
        - addresses:
          - ip: 127.0.0.1
          ports:
          - port: {_backends.Pods[0].Port}

        """);
}

using System.Collections.Concurrent;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// kubectl through the kubeconfig <c>svcproxy kubeconfig</c> prints: watch (Table rows per event),
/// discovery (api-resources, short names, categories), OpenAPI (explain) and the derived EndpointSlices.
/// </summary>
public sealed class KubectlWatchAndDiscoveryTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-kubectl-watch-").FullName;
    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync([]);
        var kubeconfig = await HostProcess.RunCliAsync(["kubeconfig", "--server", _host.AdminUrl]);
        Assert.Equal(0, kubeconfig.ExitCode);
        _kubectl = Kubectl.ForKubeconfig(Write("kubeconfig", kubeconfig.Stdout));
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Get_watch_prints_a_row_per_event()
    {
        var redis = Path.Combine(AppContext.BaseDirectory, "samples", "manifests", "redis-svc.yaml");
        Assert.Equal("service/redis created\n", (await _kubectl.RunAsync("apply", "-f", redis)).Stdout);

        using var watch = _kubectl.Start(["get", "svc", "-w"]);
        var lines = new ConcurrentQueue<string>();
        watch.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        watch.BeginOutputReadLine();
        try
        {
            await WaitForAsync(lines, l => l.StartsWith("redis ", StringComparison.Ordinal));
            var manifest = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n";
            Assert.Equal("service/web created\n", (await _kubectl.RunAsync(["create", "-f", "-"], stdin: manifest)).Stdout);
            await WaitForAsync(lines, l => l.StartsWith("web ", StringComparison.Ordinal));
            Assert.Equal("service/web patched\n", (await _kubectl.RunAsync("patch", "svc", "web", "-p", """{"spec":{"ports":[{"port":80,"targetPort":9090}],"sessionAffinity":"ClientIP"}}""")).Stdout);
            await WaitForAsync(lines, l => l.StartsWith("web ", StringComparison.Ordinal), count: 2);
        }
        finally
        {
            await Kubectl.StopAsync(watch);
        }

        var all = lines.ToList();
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Cells(all[0]));
        Assert.Single(all, l => l.StartsWith("NAME ", StringComparison.Ordinal));
        Assert.Equal(["redis", "ClusterIP"], Cells(all.Single(l => l.StartsWith("redis ", StringComparison.Ordinal)))[..2]);
        var web = all.Where(l => l.StartsWith("web ", StringComparison.Ordinal)).Select(Cells).ToList();
        Assert.Equal(2, web.Count);
        Assert.All(web, row => Assert.Equal(["web", "ClusterIP"], row[..2]));
        Assert.All(web, row => Assert.Equal(["<none>", "80/TCP"], row[3..5]));
    }

    [Fact]
    public async Task Discovery_openapi_and_endpoint_slices()
    {
        var resources = await _kubectl.RunAsync("api-resources");
        Assert.Equal(0, resources.ExitCode);
        Assert.Equal(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], Header(resources.Stdout));
        Assert.Equal(["services", "svc", "v1", "true", "Service"], Row(resources.Stdout, "services"));
        Assert.Equal(["endpoints", "ep", "v1", "true", "Endpoints"], Row(resources.Stdout, "endpoints"));
        Assert.Equal(["pods", "po", "v1", "true", "Pod"], Row(resources.Stdout, "pods"));
        Assert.Equal(["namespaces", "ns", "v1", "false", "Namespace"], Row(resources.Stdout, "namespaces"));
        Assert.Equal(["endpointslices", "discovery.k8s.io/v1", "true", "EndpointSlice"], Row(resources.Stdout, "endpointslices"));

        var explain = await _kubectl.RunAsync("explain", "svc.spec.sessionAffinity");
        Assert.Equal(0, explain.ExitCode);
        Assert.Contains("FIELD: sessionAffinity <string>", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("Must be ClientIP or None", explain.Stdout, StringComparison.Ordinal);

        var pods = Path.Combine(AppContext.BaseDirectory, "samples", "manifests", "pods.yaml");
        var redis = Path.Combine(AppContext.BaseDirectory, "samples", "manifests", "redis-svc.yaml");
        Assert.Equal(0, (await _kubectl.RunAsync("apply", "-f", pods, "-f", redis)).ExitCode);

        var slices = await _kubectl.RunAsync("get", "endpointslices", "-l", "kubernetes.io/service-name=redis");
        Assert.Equal(["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], Header(slices.Stdout));
        var slice = Cells(Lines(slices.Stdout)[1]);
        Assert.Matches("^redis-[a-z0-9]{5}$", slice[0]);
        Assert.Equal(["IPv4", "6379", "127.0.0.21"], slice[1..4]);

        var all = await _kubectl.RunAsync("get", "all");
        Assert.Equal(0, all.ExitCode);
        Assert.Contains("pod/redis-0 ", all.Stdout, StringComparison.Ordinal);
        Assert.Contains("service/redis ", all.Stdout, StringComparison.Ordinal);
        Assert.True(all.Stdout.IndexOf("pod/", StringComparison.Ordinal) < all.Stdout.IndexOf("service/", StringComparison.Ordinal), all.Stdout);

        var events = await _kubectl.RunAsync("get", "events");
        Assert.Equal(["Normal", "ClusterIPAllocated", "service/redis"], Row(events.Stdout, "service/redis", column: 3)[1..4]);
        Assert.Equal(["default", "Active"], Row((await _kubectl.RunAsync("get", "namespaces")).Stdout, "default")[..2]);

        var version = await _kubectl.RunAsync("version");
        Assert.Equal(0, version.ExitCode);
        Assert.Contains("Server Version: v1.32.0", version.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", version.Stderr, StringComparison.Ordinal);
    }

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

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using ServiceProxy.FunctionalTests.Host;
using Xunit.Abstractions;

namespace ServiceProxy.FunctionalTests.Nodes;

/// <summary>
/// The three-node cluster of samples/node-cluster/run.sh: a bridge, three node namespaces each
/// with svcproxy in cluster mode on one etcd member, a pod namespace per node with two HTTP pods,
/// and a client namespace outside the cluster, all on 198.18.0.0/15 with no route out. Everything
/// the run made (namespaces, bridge, veths, processes) is removed at the end, also on failure.
/// Needs root; without it the test fails and says so.
/// </summary>
public sealed class NodeNamespaceClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string Script = Path.Combine(RepositoryRoot(), "samples", "node-cluster", "run.sh");
    private static readonly string[] Nodes = ["198.18.0.11", "198.18.0.12", "198.18.0.13"];
    private readonly string _prefix = $"spn{Random.Shared.Next(0x10000):x4}";
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-nodes-").FullName;

    public async Task InitializeAsync()
    {
        if (GetEuid() != 0)
        {
            Assert.Fail("NodeNamespaceClusterTests must run as root: it creates network namespaces, a bridge and veth pairs (CI runs it as root).");
        }

        try
        {
            await RunAsync(Script, ["up", _directory, _prefix], TimeSpan.FromMinutes(4));
        }
        catch
        {
            await RunAsync(Script, ["down", _directory, _prefix], TimeSpan.FromMinutes(1), check: false);
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (GetEuid() == 0)
        {
            await RunAsync(Script, ["down", _directory, _prefix], TimeSpan.FromMinutes(1), check: false);
            Assert.DoesNotContain(_prefix + "-", (await RunAsync("ip", ["netns", "list"], TimeSpan.FromSeconds(10))).Stdout, StringComparison.Ordinal);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Nodes_serve_every_pod_keep_serving_without_a_peer_or_the_API_and_catch_up()
    {
        // <node IP>:NodePort on each node reaches the pods of every node, round-robin.
        foreach (var node in Nodes)
        {
            var names = await EventuallyAsync(() => CurlLoopAsync("client", $"http://{node}:30080/", 6, check: false), r => r.Distinct().Count() == 6);
            Assert.Equal(6, names.Distinct().Count());
        }

        // A pod reaches a ClusterIP through its node's service-CIDR route.
        var clusterIP = await KubectlAsync("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}");
        Assert.StartsWith("198.19.200.", clusterIP, StringComparison.Ordinal);
        Assert.Equal(3, (await CurlLoopAsync("p2", $"http://{clusterIP}/", 3)).Distinct().Count());

        await ExternalPolicyLocalAsync();
        await SourceRangesAsync();
        await NodeKilledAndRestartedAsync();
        await ApiStoppedAndRestartedAsync();
    }

    private async Task ExternalPolicyLocalAsync()
    {
        // The node ports chosen from here on lie in the range's static band (30000-30015 of 30000-30099), which
        // the API allocates from only when the rest is full: this Service's health-check node port is picked
        // at random, and in the upper band it could take a port a later Service asks for.
        await ApplyAsync("""
            apiVersion: v1
            kind: Service
            metadata: {name: local}
            spec: {type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: web}, ports: [{port: 80, targetPort: http, nodePort: 30011}]}
            """);
        var healthPort = int.Parse(await KubectlAsync("get", "svc", "local", "-o", "jsonpath={.spec.healthCheckNodePort}"), System.Globalization.CultureInfo.InvariantCulture);
        for (var n = 1; n <= 3; n++)
        {
            var names = await EventuallyAsync(() => CurlLoopAsync("client", $"http://{Nodes[n - 1]}:30011/", 4), r => r.All(x => x.StartsWith($"pod{n}-", StringComparison.Ordinal)));
            Assert.All(names, x => Assert.StartsWith($"pod{n}-", x, StringComparison.Ordinal));
            Assert.Equal("200", await EventuallyAsync(() => StatusAsync("client", $"http://{Nodes[n - 1]}:{healthPort}/"), s => s == "200"));
        }

        // Node 3 loses its pods: its health check says 503 and its node port refuses; the others are unchanged.
        await KubectlAsync("delete", "pod", "pod3-a", "pod3-b");
        Assert.Equal("503", await EventuallyAsync(() => StatusAsync("client", $"http://{Nodes[2]}:{healthPort}/"), s => s == "503"));
        Assert.True(await EventuallyAsync(() => RefusedAsync("client", $"http://{Nodes[2]}:30011/"), r => r), "node 3's Local node port still answers");

        // A Pod (in --cluster-cidr) reaches node 3's Local node port all the same: kube-proxy's short-circuit sends it to every endpoint.
        var fromPod = await CurlLoopAsync("p1", $"http://{Nodes[2]}:30011/", 4);
        Assert.Equal(4, fromPod.Count);
        Assert.All(fromPod, x => Assert.False(x.StartsWith("pod3-", StringComparison.Ordinal), x));
        Assert.Equal("200", await StatusAsync("client", $"http://{Nodes[0]}:{healthPort}/"));
        Assert.Equal(4, (await CurlLoopAsync("client", $"http://{Nodes[2]}:30080/", 4)).Count);
    }

    private async Task SourceRangesAsync()
    {
        await ApplyAsync("""
            apiVersion: v1
            kind: Service
            metadata: {name: fenced}
            spec: {type: LoadBalancer, loadBalancerSourceRanges: [198.18.0.200/32], selector: {app: web}, ports: [{port: 80, targetPort: http, nodePort: 30012}]}
            """);
        var ingress = await EventuallyAsync(() => KubectlAsync("get", "svc", "fenced", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"), ip => ip.Length > 0);
        Assert.StartsWith("198.19.250.", ingress, StringComparison.Ordinal);

        // The client namespace is outside the ranges: reset at the load-balancer address; the node port stays open, as with kube-proxy.
        Assert.True(await EventuallyAsync(() => RefusedAsync("client", $"http://{ingress}/"), r => r), "a client outside loadBalancerSourceRanges was served");
        Assert.Equal(2, (await CurlLoopAsync("client", $"http://{Nodes[0]}:30012/", 2)).Count);

        await KubectlAsync("patch", "svc", "fenced", "-p", """{"spec":{"loadBalancerSourceRanges":["198.18.0.100/32"]}}""");
        Assert.Single(await EventuallyAsync(() => CurlLoopAsync("client", $"http://{ingress}/", 1, check: false), r => r.Count == 1));
    }

    private async Task NodeKilledAndRestartedAsync()
    {
        await RunAsync(Script, ["kill-node", _directory, _prefix, "2"], TimeSpan.FromSeconds(30));
        Assert.Equal(4, (await CurlLoopAsync("client", $"http://{Nodes[0]}:30080/", 4)).Count);
        Assert.Equal(4, (await CurlLoopAsync("client", $"http://{Nodes[2]}:30080/", 4)).Count);

        // A Service created while node 2 is down reaches it once it is back.
        await ApplyAsync("""
            apiVersion: v1
            kind: Service
            metadata: {name: later}
            spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: http, nodePort: 30013}]}
            """);
        await RunAsync(Script, ["start-node", _directory, _prefix, "2"], TimeSpan.FromMinutes(2));

        // When node 2 led the controllers, the Service's Endpoints wait for another node to take the
        // lease over: its duration (15 s) and a second.
        Assert.NotEmpty(await EventuallyAsync(() => CurlLoopAsync("client", $"http://{Nodes[1]}:30013/", 2, check: false), r => r.Count == 2, attempts: 200));
    }

    private async Task ApiStoppedAndRestartedAsync()
    {
        await RunAsync(Script, ["stop-etcd", _directory, _prefix], TimeSpan.FromSeconds(30));
        foreach (var node in Nodes)
        {
            Assert.Equal(4, (await CurlLoopAsync("client", $"http://{node}:30080/", 4)).Count);
        }

        await RunAsync(Script, ["start-etcd", _directory, _prefix], TimeSpan.FromSeconds(30));
        var manifest = """
            apiVersion: v1
            kind: Service
            metadata: {name: after}
            spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: http, nodePort: 30014}]}
            """;
        await EventuallyAsync(async () => await TryApplyAsync(manifest), ok => ok, attempts: 300);
        var written = Stopwatch.StartNew();
        // Every node polled at once: one after another, each node's wait would add the curls spent on the
        // nodes before it, and the figure would be their sum rather than the slowest node's.
        var served = await Task.WhenAll(Nodes.Select(node =>
            EventuallyAsync(() => CurlLoopAsync("client", $"http://{node}:30014/", 1, check: false), r => r.Count == 1, attempts: 200, delay: TimeSpan.FromMilliseconds(50))));
        Assert.All(served, names => Assert.Single(names));

        output.WriteLine($"every node served the Service written after the API returned within {written.ElapsedMilliseconds} ms");
        Assert.True(written.Elapsed < TimeSpan.FromSeconds(1), $"nodes converged in {written.ElapsedMilliseconds} ms");
    }

    private async Task<List<string>> CurlLoopAsync(string ns, string url, int count, bool check = true)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var result = await RunAsync("ip", ["netns", "exec", $"{_prefix}-{ns}", "curl", "-sS", "-m", "3", url], TimeSpan.FromSeconds(10), check);
            if (result.ExitCode == 0)
            {
                names.Add(result.Stdout.Trim());
            }
        }

        return names;
    }

    private async Task<string> StatusAsync(string ns, string url) =>
        (await RunAsync("ip", ["netns", "exec", $"{_prefix}-{ns}", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "3", url], TimeSpan.FromSeconds(10), check: false)).Stdout;

    /// <summary>Whether the connection is reset or closed before any response (curl 52 empty reply, 56 reset) or refused (7).</summary>
    private async Task<bool> RefusedAsync(string ns, string url) =>
        (await RunAsync("ip", ["netns", "exec", $"{_prefix}-{ns}", "curl", "-s", "-m", "3", url], TimeSpan.FromSeconds(10), check: false)).ExitCode is 7 or 52 or 56;

    private async Task<string> KubectlAsync(params string[] args) =>
        (await RunAsync("ip", ["netns", "exec", $"{_prefix}-n1", "kubectl", "--server", "http://127.0.0.1:8080", .. args], TimeSpan.FromSeconds(30))).Stdout;

    /// <summary>Applies through node 1, again on a refusal (a write racing the controllers' writes to the same ranges is refused with a conflict).</summary>
    private async Task ApplyAsync(string manifest) => Assert.True(await EventuallyAsync(() => TryApplyAsync(manifest), ok => ok, attempts: 20), "apply failed");

    private async Task<bool> TryApplyAsync(string manifest)
    {
        var result = await RunAsync(Script, ["apply", _directory, _prefix, manifest], TimeSpan.FromSeconds(30), check: false);
        if (result.ExitCode != 0)
        {
            output.WriteLine($"apply: {result.Stderr}");
        }

        return result.ExitCode == 0;
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, int attempts = 50, TimeSpan? delay = null)
    {
        var last = await attempt();
        for (var i = 1; i < attempts && !done(last); i++)
        {
            await Task.Delay(delay ?? TimeSpan.FromMilliseconds(100));
            last = await attempt();
        }

        return last;
    }

    private async Task<CliResult> RunAsync(string file, string[] args, TimeSpan timeout, bool check = true)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        start.Environment["SVCPROXY_DLL"] = HostProcess.DllPath;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var result = new CliResult(process.ExitCode, await stdout, await stderr);
        if (check && result.ExitCode != 0)
        {
            output.WriteLine(result.Stderr);
            Assert.Fail($"{file} {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        }

        return result;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "samples", "node-cluster", "run.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("samples/node-cluster/run.sh not found above " + AppContext.BaseDirectory);
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}

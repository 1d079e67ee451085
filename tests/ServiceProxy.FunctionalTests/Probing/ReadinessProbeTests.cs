using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Probing;

/// <summary>
/// Readiness probes end to end, through the real svcproxy and the real kubectl: a pod whose process
/// hangs (its listener stops accepting) leaves rotation after its failure threshold, kubectl shows it
/// 0/1, no new connection goes to it, and it comes back within one period of recovering.
/// </summary>
public sealed class ReadinessProbeTests : IAsyncLifetime
{
    private const int PeriodSeconds = 1;
    private SwitchableBackend _a = null!;
    private SwitchableBackend _b = null!;
    private HostProcess _host = null!;
    private Kubectl.Kubectl _kubectl = null!;
    private int _nodePort;

    public async Task InitializeAsync()
    {
        _a = new SwitchableBackend("a");
        _b = new SwitchableBackend("b");
        _nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{_nodePort}-{_nodePort}"]);
        _kubectl = Kubectl.Kubectl.ForServer(_host.AdminUrl);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private string Manifests() => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          type: NodePort
          selector:
            app: web
          ports:
          - port: 80
            targetPort: tcp
            nodePort: {_nodePort}
        {Pod("a", _a.Port)}{Pod("b", _b.Port)}
        """;

    private static string Pod(string name, int port) => $"""
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          labels:
            app: web
        spec:
          containers:
          - name: app
            ports:
            - name: tcp
              containerPort: {port}
            readinessProbe:
              tcpSocket:
                port: tcp
              periodSeconds: {PeriodSeconds}
              timeoutSeconds: 1
              failureThreshold: 2
        status:
          phase: Running
          podIP: 127.0.0.1

        """;

    [Fact]
    public async Task A_hung_pod_leaves_rotation_after_its_failure_threshold_and_returns_within_a_period()
    {
        var apply = await _kubectl.RunAsync(["apply", "-f", "-"], Manifests());
        Assert.True(apply.ExitCode == 0, apply.Stderr);
        await ReadyColumnAsync("b", "1/1", TimeSpan.FromSeconds(10));
        await ReadyColumnAsync("a", "1/1", TimeSpan.FromSeconds(10));

        await _b.BlackholeAsync();
        var hung = Stopwatch.StartNew();
        await ReadyColumnAsync("b", "0/1", TimeSpan.FromSeconds(15));

        // Two failed probes of one second each, a period apart (and up to a period before the first).
        Assert.InRange(hung.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        var endpoints = await Ok("get", "endpoints", "web", "-o", "jsonpath={.subsets[*].notReadyAddresses[*].targetRef.name}");
        Assert.Equal("b", endpoints.Stdout);
        var describe = await Ok("describe", "pod", "b");
        Assert.Contains("Readiness:", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("tcp-socket :tcp delay=0s timeout=1s period=1s #success=1 #failure=2", describe.Stdout, StringComparison.Ordinal);
        var message = await Ok("get", "pod", "b", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}");
        Assert.Contains("i/o timeout", message.Stdout, StringComparison.Ordinal);

        // The data plane has the new Endpoints once kubectl shows them; each connection goes to a, at once.
        await Task.Delay(500);
        for (var i = 0; i < 10; i++)
        {
            var started = Stopwatch.StartNew();
            Assert.Equal("a", await ConnectAsync());
            Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(900), $"connection {i} took {started.Elapsed}");
        }

        _b.Restore();
        var restored = Stopwatch.StartNew();
        await ReadyColumnAsync("b", "1/1", TimeSpan.FromSeconds(10));
        // One period, plus a kubectl round trip or two on a loaded machine.
        Assert.True(restored.Elapsed < TimeSpan.FromSeconds(PeriodSeconds + 3), $"back after {restored.Elapsed}");

        var names = new List<string>();
        var watch = Stopwatch.StartNew();
        while (!names.Contains("b") && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            names.Add(await ConnectAsync());
        }

        Assert.Contains("b", names);
    }

    private async Task<string> ConnectAsync()
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(IPAddress.Loopback, _nodePort, timeout.Token);
        var buffer = new byte[16];
        var total = 0;
        int read;
        while ((read = await client.GetStream().ReadAsync(buffer.AsMemory(total), timeout.Token)) > 0)
        {
            total += read;
        }

        return Encoding.ASCII.GetString(buffer, 0, total);
    }

    /// <summary>Polls <c>kubectl get pods</c> until the pod's READY column reads <paramref name="expected"/>.</summary>
    private async Task ReadyColumnAsync(string pod, string expected, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var last = string.Empty;
        while (watch.Elapsed < timeout)
        {
            var get = await Ok("get", "pods");
            Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE"], Header(get.Stdout));
            last = get.Stdout;
            if (Row(get.Stdout, pod)[1] == expected)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"pod {pod} never showed READY {expected} within {timeout}:\n{last}");
    }

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await _kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }
}

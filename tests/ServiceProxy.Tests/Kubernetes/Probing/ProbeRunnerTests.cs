using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;

namespace ServiceProxy.Tests.Kubernetes.Probing;

/// <summary>Probes over loopback: what counts as success, as the kubelet's probers decide it.</summary>
public sealed class ProbeRunnerTests : IDisposable
{
    private readonly ProbeRunner _runner = new();

    public void Dispose() => _runner.Dispose();

    private static ProbeTarget Target(Probe probe, int namedPort = 0) =>
        new(probe, new Container { Name = "web", Ports = [new PodContainerPort { Name = "http", ContainerPort = namedPort }] }, "127.0.0.1");

    private async Task<ProbeOutcome> RunAsync(Probe probe, int namedPort = 0, int timeoutMs = 2000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        return await _runner.RunAsync(Target(probe, namedPort), timeout.Token);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Tcp_succeeds_when_the_port_accepts_by_number_or_by_name()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        Assert.Equal(ProbeResult.Success, (await RunAsync(new Probe { TcpSocket = new TcpSocketAction { Port = port } })).Verdict);
        Assert.Equal(ProbeResult.Success, (await RunAsync(new Probe { TcpSocket = new TcpSocketAction { Port = "http" } }, namedPort: port)).Verdict);
    }

    [Fact]
    public async Task Tcp_fails_when_refused()
    {
        var port = ClosedPort();

        var outcome = await RunAsync(new Probe { TcpSocket = new TcpSocketAction { Port = port } });

        Assert.Equal(ProbeResult.Failure, outcome.Verdict);
        Assert.StartsWith($"dial tcp 127.0.0.1:{port}: ", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tcp_fails_at_the_timeout_when_the_listener_never_accepts()
    {
        // Backlog 1, filled: further SYNs are dropped, as by a hung process.
        using var blackhole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackhole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackhole.Listen(1);
        var port = ((IPEndPoint)blackhole.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var fill = new CancellationTokenSource(200);
                try
                {
                    await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), fill.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var outcome = await RunAsync(new Probe { TcpSocket = new TcpSocketAction { Port = port } }, timeoutMs: 300);

            Assert.Equal(ProbeOutcome.Failure($"dial tcp 127.0.0.1:{port}: i/o timeout"), outcome);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task A_missing_port_name_is_an_error_not_a_failure()
    {
        var outcome = await RunAsync(new Probe { TcpSocket = new TcpSocketAction { Port = "metrics" } });

        Assert.Equal(ProbeOutcome.Error("port metrics not found"), outcome);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(204, true)]
    [InlineData(300, true)]
    [InlineData(304, true)]
    [InlineData(399, true)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public async Task Http_status_200_to_399_is_success(int status, bool success)
    {
        var expected = success ? ProbeResult.Success : ProbeResult.Failure;
        await using var server = new HttpStub(_ => (status, null));

        var outcome = await RunAsync(new Probe { HttpGet = new HttpGetAction { Port = server.Port, Path = "/healthz", Scheme = "HTTP" } });

        Assert.Equal(expected, outcome.Verdict);
        if (expected == ProbeResult.Failure)
        {
            Assert.Equal($"HTTP probe failed with statuscode: {status}", outcome.Message);
        }
    }

    [Fact]
    public async Task Http_sends_the_path_the_probe_headers_and_the_kubelet_defaults()
    {
        await using var server = new HttpStub(_ => (200, null));

        await RunAsync(new Probe
        {
            HttpGet = new HttpGetAction
            {
                Port = "http",
                Path = "/ready?full=1",
                HttpHeaders = [new HttpHeader { Name = "X-Probe", Value = "yes" }, new HttpHeader { Name = "Host", Value = "web.example" }],
            },
        }, namedPort: server.Port);

        var request = Assert.Single(server.Requests);
        Assert.StartsWith("GET /ready?full=1 HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Probe: yes\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nHost: web.example\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nUser-Agent: kube-probe/", request, StringComparison.Ordinal);
        Assert.Contains("\r\nAccept: */*\r\n", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_follows_a_redirect_to_the_same_host_and_takes_its_answer()
    {
        await using var server = new HttpStub(path => path == "/old" ? (302, "/new") : (503, null));

        var outcome = await RunAsync(new Probe { HttpGet = new HttpGetAction { Port = server.Port, Path = "/old" } });

        Assert.Equal(ProbeOutcome.Failure("HTTP probe failed with statuscode: 503"), outcome);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Http_does_not_follow_a_redirect_to_another_host_and_counts_it_as_success()
    {
        await using var server = new HttpStub(_ => (301, "http://elsewhere.invalid/"));

        var outcome = await RunAsync(new Probe { HttpGet = new HttpGetAction { Port = server.Port, Path = "/" } });

        Assert.Equal(ProbeResult.Success, outcome.Verdict);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Http_stops_after_ten_redirects()
    {
        await using var server = new HttpStub(_ => (307, "/again"));

        var outcome = await RunAsync(new Probe { HttpGet = new HttpGetAction { Port = server.Port, Path = "/" } });

        Assert.Equal(ProbeResult.Failure, outcome.Verdict);
        Assert.EndsWith("stopped after 10 redirects", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(10, server.Requests.Count);
    }

    [Fact]
    public async Task Http_fails_at_the_timeout_when_no_answer_comes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var outcome = await RunAsync(new Probe { HttpGet = new HttpGetAction { Port = port, Path = "/" } }, timeoutMs: 300);

        Assert.Equal(ProbeResult.Failure, outcome.Verdict);
        Assert.Contains("context deadline exceeded", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_cannot_run_and_is_an_error()
    {
        var outcome = await RunAsync(new Probe { Exec = new ExecAction { Command = ["true"] } });

        Assert.Equal(ProbeOutcome.Error(ProbeRunner.ExecUnsupported), outcome);
    }
}

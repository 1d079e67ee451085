using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// A <c>type: LoadBalancer</c> Service through the real host and the real kubectl: it gets an address
/// from <c>--loadbalancer-pool</c>, kubectl shows it as EXTERNAL-IP, connections to it reach the
/// backend, and deleting the Service gives it back.
/// </summary>
public sealed class KubectlLoadBalancerTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-kubectl-lb-").FullName;
    private readonly int _servicePort = Ports.FreeTcpPort();
    private readonly string _pool = $"127.{Random.Shared.Next(250, 255)}.{Random.Shared.Next(0, 256)}.0/30";
    private HttpBackends _backend = null!;
    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _backend = await HttpBackends.StartAsync("lb-backend-0");
        var nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{nodePort}-{nodePort}", "--loadbalancer-pool", _pool]);
        _kubectl = Kubectl.ForServer(_host.AdminUrl);
        var pods = await _kubectl.RunAsync(["apply", "-f", "-"], stdin: _backend.PodManifests(new Dictionary<string, string> { ["app"] = "lb" }));
        Assert.True(pods.ExitCode == 0, pods.Stderr);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_load_balancer_service_gets_an_address_that_reaches_its_backend_and_gives_it_back_on_delete()
    {
        var first = _pool[..^"0/30".Length] + "0";
        Assert.Equal("service/web created\n", (await Ok(["apply", "-f", "-"], Service("web"))).Stdout);

        var get = await Ok(["get", "svc", "web"]);
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Header(get.Stdout));
        var row = Row(get.Stdout, "web");
        Assert.Equal(["web", "LoadBalancer"], row[..2]);
        Assert.Equal(first, row[3]);
        Assert.Equal(first, (await Ok(["get", "svc", "web", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).Stdout);
        Assert.Equal(first, Row((await Ok(["get", "svc"])).Stdout, "web")[3]);
        Assert.Matches($@"\nLoadBalancer Ingress: +{Regex.Escape(first)}\n", (await Ok(["describe", "svc", "web"])).Stdout);

        var url = $"http://{first}:{_servicePort}/hostname.html";
        var names = await Traffic.EventuallyAsync(url, n => n.Count == 6 && n.All(name => name == "lb-backend-0"));
        Assert.Equal(Enumerable.Repeat("lb-backend-0", 6), names);

        Assert.Equal("service \"web\" deleted\n", (await Ok(["delete", "svc", "web"])).Stdout);
        await AssertRefusedAsync(IPAddress.Parse(first), _servicePort);

        // Given back: the next Service gets the same (lowest free) address.
        await Ok(["apply", "-f", "-"], Service("again"));
        Assert.Equal(first, Row((await Ok(["get", "svc", "again"])).Stdout, "again")[3]);
        Assert.Equal(Enumerable.Repeat("lb-backend-0", 6), await Traffic.EventuallyAsync($"http://{first}:{_servicePort}/hostname.html", n => n.Count == 6));
        await Ok(["delete", "svc", "again"]);
    }

    [Fact]
    public async Task A_service_of_another_class_or_asking_for_an_address_outside_the_pool_stays_pending()
    {
        await Ok(["apply", "-f", "-"], Service("other", "  loadBalancerClass: example.com/metal\n"));
        Assert.Equal(["other", "LoadBalancer"], Row((await Ok(["get", "svc", "other"])).Stdout, "other")[..2]);
        Assert.Equal("<pending>", Row((await Ok(["get", "svc", "other"])).Stdout, "other")[3]);
        Assert.Equal("{\"loadBalancer\":{}}", (await Ok(["get", "svc", "other", "-o", "jsonpath={.status}"])).Stdout);
        await Ok(["delete", "svc", "other"]);

        await Ok(["apply", "-f", "-"], Service("outside", "  loadBalancerIP: 192.0.2.10\n"));
        Assert.Equal("<pending>", Row((await Ok(["get", "svc", "outside"])).Stdout, "outside")[3]);
    }

    private string Service(string name, string extraSpec = "") => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
        spec:
          type: LoadBalancer
        {extraSpec}  selector:
            app: lb
          ports:
          - port: {_servicePort}
            targetPort: http

        """;

    private async Task<CliResult> Ok(string[] args, string? stdin = null)
    {
        var result = await _kubectl.RunAsync(args, stdin);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result.Stderr}");
        return result;
    }

    private static async Task AssertRefusedAsync(IPAddress address, int port)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(address, port);
            }
            catch (SocketException)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{address}:{port} still accepts connections");
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;

using ServiceProxy.FunctionalTests.Kubectl;

namespace ServiceProxy.FunctionalTests.Nodes;

/// <summary>
/// Traffic policies, health-check node ports and source ranges through a real svcproxy that is
/// node <c>node-a</c>, with one pod on it and one on <c>node-b</c> (Endpoints naming the nodes),
/// over real sockets on loopback.
/// </summary>
public sealed class NodeTrafficTests : IAsyncLifetime
{
    private static readonly IPAddress Outside = IPAddress.Parse("127.0.0.2");
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-nodes-").FullName;
    private HttpBackends _pods = null!;
    private HostProcess _host = null!;
    private int _firstNodePort;

    public async Task InitializeAsync()
    {
        _pods = await HttpBackends.StartAsync("pod-on-a", "pod-on-b");
        _firstNodePort = FreePortRange(4);
        _host = await HostProcess.StartAsync(["--node-name", "node-a", "--node-port-range", $"{_firstNodePort}-{_firstNodePort + 3}"]);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _pods.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task External_policy_Local_sends_outside_clients_of_the_node_port_to_this_nodes_pod_only_and_the_node_itself_to_every_pod()
    {
        var nodePort = _firstNodePort;
        await ApplyAsync(Service("web", "NodePort", $"externalTrafficPolicy: Local", $"nodePort: {nodePort}") + "---\n" + Endpoints("web", onA: true, onB: true));
        var clusterIP = await ClusterIPAsync("web");

        var viaNodePort = new IPEndPoint(IPAddress.Loopback, nodePort);

        // A client from outside (127.0.0.2 is not one of the node's addresses) reaches this node's pod only.
        Assert.All(await RawHttp.EventuallyBodiesAsync(viaNodePort, Outside, 4, names => names.All(n => n == "pod-on-a")), n => Assert.Equal("pod-on-a", n));
        var viaCluster = await Traffic.EventuallyAsync($"http://{clusterIP}:80/hostname.html", names => names.Distinct().Count() == 2);
        Assert.Equal(["pod-on-a", "pod-on-b"], viaCluster.Distinct().Order());

        // The node itself (127.0.0.1) reaches every pod, as kube-proxy sends --src-type LOCAL to the cluster chain.
        Assert.Equal(["pod-on-a", "pod-on-b"], (await RawHttp.EventuallyBodiesAsync(viaNodePort, IPAddress.Loopback, 4, names => names.Distinct().Count() == 2)).Distinct().Order());

        await ApplyAsync(Endpoints("web", onA: false, onB: true));
        Assert.True(await RawHttp.EventuallyRefusedAsync(viaNodePort, Outside), "the node port still answers without a local endpoint");
        Assert.All(await Curl.LoopAsync($"http://{clusterIP}:80/hostname.html", 4, TimeSpan.FromSeconds(30)), n => Assert.Equal("pod-on-b", n));
        Assert.All(await RawHttp.EventuallyBodiesAsync(viaNodePort, IPAddress.Loopback, 4, names => names.All(n => n == "pod-on-b")), n => Assert.Equal("pod-on-b", n));
    }

    [Fact]
    public async Task Internal_policy_Local_sends_cluster_IP_clients_to_this_nodes_pod_only()
    {
        await ApplyAsync(Service("inner", "ClusterIP", "internalTrafficPolicy: Local", null) + "---\n" + Endpoints("inner", onA: true, onB: true));
        var clusterIP = await ClusterIPAsync("inner");

        var names = await Traffic.EventuallyAsync($"http://{clusterIP}:80/hostname.html", n => n.All(x => x == "pod-on-a"));
        Assert.All(names, n => Assert.Equal("pod-on-a", n));
    }

    [Fact]
    public async Task The_health_check_node_port_answers_200_with_a_local_pod_and_503_without()
    {
        await ApplyAsync(Service("lb", "LoadBalancer", "externalTrafficPolicy: Local", $"nodePort: {_firstNodePort + 1}") + "---\n" + Endpoints("lb", onA: true, onB: true));
        using var service = JsonDocument.Parse(await _host.Http.GetStringAsync("/api/v1/namespaces/default/services/lb"));
        var healthPort = service.RootElement.GetProperty("spec").GetProperty("healthCheckNodePort").GetInt32();
        Assert.InRange(healthPort, _firstNodePort, _firstNodePort + 3);
        var describe = await _host.CliAsync("describe", "svc", "lb");
        Assert.Contains($"HealthCheck NodePort:     {healthPort}\n", describe.Stdout, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var (status, body) = await EventuallyStatusAsync(http, $"http://127.0.0.1:{healthPort}/", HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.Equal("lb", json.RootElement.GetProperty("service").GetProperty("name").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("localEndpoints").GetInt32());
        }

        await ApplyAsync(Endpoints("lb", onA: false, onB: true));
        (status, body) = await EventuallyStatusAsync(http, $"http://127.0.0.1:{healthPort}/healthz", HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("\"localEndpoints\": 0", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Source_ranges_refuse_other_clients_of_the_load_balancer_address_and_leave_the_node_port_open()
    {
        var nodePort = _firstNodePort + 2;
        await ApplyAsync(Service("fenced", "LoadBalancer", "loadBalancerSourceRanges: [\"127.0.0.2/32\"]", $"nodePort: {nodePort}") + "---\n" + Endpoints("fenced", onA: true, onB: true));
        var ingress = await EventuallyIngressAsync("fenced");
        var loadBalancer = new IPEndPoint(IPAddress.Parse(ingress), 80);

        // Allowed: a client whose source address is in the ranges.
        Assert.True(await RawHttp.EventuallyAnswersAsync(loadBalancer, IPAddress.Parse("127.0.0.2")), "a client inside the ranges was refused");

        // Refused at accept: a reset before any byte of a response.
        Assert.True(await RawHttp.EventuallyRefusedAsync(loadBalancer, IPAddress.Parse("127.0.0.3")), "a client outside the ranges was served");

        // kube-proxy filters only the load-balancer addresses: the node port stays open.
        Assert.Equal(2, (await Curl.LoopAsync($"http://127.0.0.1:{nodePort}/hostname.html", 4, TimeSpan.FromSeconds(30))).Distinct().Count());
    }

    private string Service(string name, string type, string policy, string? nodePort) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
        spec:
          type: {type}
          {policy}
          ports:
          - port: 80
            {nodePort ?? "protocol: TCP"}

        """;

    private string Endpoints(string name, bool onA, bool onB)
    {
        var subsets = new StringBuilder();
        if (onA)
        {
            subsets.Append(CultureInvariant($"- addresses: [{{ip: 127.0.0.1, nodeName: node-a}}]\n  ports: [{{port: {_pods.Pods[0].Port}}}]\n"));
        }

        if (onB)
        {
            subsets.Append(CultureInvariant($"- addresses: [{{ip: 127.0.0.1, nodeName: node-b}}]\n  ports: [{{port: {_pods.Pods[1].Port}}}]\n"));
        }

        return $"apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: {name}\nsubsets:\n{subsets}";
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);

    private async Task ApplyAsync(string yaml)
    {
        var file = Path.Combine(_directory, $"{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var applied = await _host.CliAsync("apply", "-f", file);
        Assert.True(applied.ExitCode == 0, applied.Stderr);
    }

    private async Task<string> ClusterIPAsync(string name)
    {
        using var service = JsonDocument.Parse(await _host.Http.GetStringAsync($"/api/v1/namespaces/default/services/{name}"));
        return service.RootElement.GetProperty("spec").GetProperty("clusterIP").GetString()!;
    }

    private async Task<string> EventuallyIngressAsync(string name)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var service = JsonDocument.Parse(await _host.Http.GetStringAsync($"/api/v1/namespaces/default/services/{name}"));
            if (service.RootElement.TryGetProperty("status", out var status) && status.TryGetProperty("loadBalancer", out var lb)
                && lb.TryGetProperty("ingress", out var ingress) && ingress.GetArrayLength() > 0)
            {
                return ingress[0].GetProperty("ip").GetString()!;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"service {name} got no load-balancer address");
    }

    private static async Task<(HttpStatusCode, string)> EventuallyStatusAsync(HttpClient http, string url, HttpStatusCode wanted)
    {
        (HttpStatusCode, string) last = default;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                using var response = await http.GetAsync(url);
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                if (response.StatusCode == wanted)
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        return last;
    }

    /// <summary>The first of <paramref name="count"/> consecutive TCP ports free on 127.0.0.1 now (bounded attempts).</summary>
    private static int FreePortRange(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(20000, 32000);
            var sockets = new List<Socket>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    sockets.Add(socket);
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, first + i));
                }

                return first;
            }
            catch (SocketException)
            {
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        }

        throw new InvalidOperationException($"no {count} consecutive free ports");
    }
}

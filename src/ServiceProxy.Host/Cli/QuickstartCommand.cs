using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Hosting;
using ServiceProxy.Host.Printing;
using ServiceProxy.Host.Quickstart;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Cli;

/// <summary>
/// <c>svcproxy quickstart</c>: the seed transcript, live. Three demo pods, the myapp NodePort
/// service, a curl loop going round-robin, a patch to ClientIP affinity and the loop sticking to
/// one pod — then the full host keeps serving so <c>svcproxy get svc</c> works from another terminal.
/// </summary>
internal static class QuickstartCommand
{
    /// <summary>The pods' port. Unprivileged, so no root is needed (the seed's pods listen on 80).</summary>
    public const int DefaultBackendPort = 9376;

    /// <summary>Cluster DNS in the service CIDR, as kube-dns's 10.96.0.10.</summary>
    public const string DefaultDnsAddress = "127.100.0.10:53";

    public static Command Create()
    {
        var admin = new Option<string>("--admin") { Description = "Admin API address.", DefaultValueFactory = _ => GlobalOptions.DefaultAdminAddress };
        var nodePort = new Option<int>("--node-port") { Description = "The myapp service's nodePort.", DefaultValueFactory = _ => 30080 };
        var backendPort = new Option<int>("--backend-port") { Description = "The demo pods' port (0: any free port).", DefaultValueFactory = _ => DefaultBackendPort };
        var requests = new Option<int>("--requests") { Description = "Requests per curl loop.", DefaultValueFactory = _ => 6 };
        var exit = new Option<bool>("--exit") { Description = "Stop after the demo instead of serving until Ctrl-C." };
        var dns = new Option<string>("--dns") { Description = "Cluster DNS address (empty: off).", DefaultValueFactory = _ => DefaultDnsAddress };
        var command = new Command("quickstart", "Run the seed's Service walkthrough on loopback, then keep serving.") { admin, nodePort, backendPort, requests, exit, dns };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(admin)!, result.GetValue(nodePort), result.GetValue(backendPort), result.GetValue(requests), result.GetValue(exit), result.GetValue(dns) ?? string.Empty, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string admin, int nodePort, int backendPort, int requests, bool exitAfterDemo, string dns, CancellationToken cancellationToken)
    {
        if (dns.Length > 0 && DnsPortProbe.WhyNotBindable(dns) is { } reason)
        {
            Say($"Cluster DNS is off: {dns} cannot be bound ({reason}); run as root or pass --dns ADDR:PORT with a free port.");
            dns = string.Empty;
        }

        var pods = new[] { 11, 12, 13 }.Select(i => (new IPAddress([127, 0, 0, (byte)i]), "myapp-deploy-69b47bc96d-" + RandomSuffix())).ToList();
        await using var backends = await DemoBackends.StartAsync(pods, backendPort, cancellationToken);

        var defaultRange = new ServiceProxy.Kubernetes.Allocation.AllocationOptions().NodePortRange;
        var nodePortRange = ServiceProxy.Kubernetes.Allocation.PortRange.Parse(defaultRange).Contains(nodePort) ? defaultRange : $"{nodePort}-{nodePort}";
        var app = SvcproxyHost.Build(RunConfiguration.Load(
            new Dictionary<string, IReadOnlyList<string>>
            {
                ["--admin"] = [admin],
                ["--node-port-range"] = [nodePortRange],
                ["--node-address"] = ["127.0.0.1"],
                ["--log-level"] = ["Warning"],
                ["--dns"] = dns.Length > 0 ? [dns] : [],
            },
            environment: new System.Collections.Hashtable(),
            configFile: null));
        await using (app)
        {
            await app.StartAsync(cancellationToken);
            var store = app.Services.GetRequiredService<IObjectStore>();
            var server = "http://" + SvcproxyHost.AdminAddress(app);

            Say("$ svcproxy get pods --show-labels");
            foreach (var (address, podName) in pods)
            {
                await store.CreateAsync(DemoPod(podName, address, backends.Port), cancellationToken: cancellationToken);
            }

            Print(TablePrinter.Print("Pod", store.List<Pod>(ObjectMeta.DefaultNamespace).Items, DateTimeOffset.UtcNow, showLabels: true));

            Say("$ cat myapp-svc.yaml");
            var manifest = MyAppService(nodePort, backends.Port);
            Print(manifest);
            Say("$ svcproxy apply -f myapp-svc.yaml");
            foreach (var loaded in ServiceProxy.Kubernetes.Manifests.ManifestReader.LoadText(manifest, "myapp-svc.yaml").Objects)
            {
                await store.CreateAsync(loaded.Object, cancellationToken: cancellationToken);
            }

            Print("service/myapp created\n");
            Say("$ svcproxy get svc");
            Print(TablePrinter.Print("Service", store.List<Service>(ObjectMeta.DefaultNamespace).Items, DateTimeOffset.UtcNow));

            await WaitUntilListeningAsync(app.Services.GetRequiredService<ServiceProxyServer>(), nodePort, cancellationToken);
            if (dns.Length > 0)
            {
                Say($"$ dig +short @{DnsHost(dns)}{DnsPortArgument(dns)} myapp.default.svc.cluster.local");
                var dnsServer = app.Services.GetRequiredService<ServiceProxy.Dns.DnsServer>().LocalEndPoint!;
                foreach (var address in await DnsLookup.QueryAsync(dnsServer, "myapp.default.svc.cluster.local", cancellationToken))
                {
                    Print($"{address}\n");
                }
            }

            await CurlLoopAsync(nodePort, requests, cancellationToken);

            Say("$ svcproxy patch svc myapp -p '{\"spec\":{\"sessionAffinity\":\"ClientIP\"}}'");
            using (var client = new AdminClient(server, token: null))
            {
                var patch = JsonNode.Parse("""{"spec":{"sessionAffinity":"ClientIP"}}""");
                (await client.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/myapp", patch, "application/strategic-merge-patch+json", cancellationToken)).EnsureSuccess();
            }

            Print("service/myapp patched\n");
            await WaitUntilStickyAsync(nodePort, cancellationToken);
            await CurlLoopAsync(nodePort, requests, cancellationToken);

            if (exitAfterDemo)
            {
                await app.StopAsync(cancellationToken);
                return 0;
            }

            Say($"Serving until Ctrl-C. Admin API: {server} — from another terminal:");
            Print($"""
                  svcproxy get svc
                  svcproxy describe svc myapp
                  svcproxy patch svc myapp -p '{"{"}"spec":{"{"}"sessionAffinity":"None"{"}}"}'
                  curl http://127.0.0.1:{nodePort}/hostname.html
                  kubectl --server {server} get svc{DigLine(dns)}

                """);
            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        }
    }

    /// <summary>The <c>dig</c> line for the cluster DNS on <paramref name="dns"/>, or nothing when it is off.</summary>
    private static string DigLine(string dns) =>
        dns.Length == 0 ? string.Empty : $"\n  dig @{DnsHost(dns)}{DnsPortArgument(dns)} myapp.default.svc.cluster.local";

    private static string DnsHost(string dns) => dns[..dns.LastIndexOf(':')].Trim('[', ']');

    private static string DnsPortArgument(string dns) => dns[(dns.LastIndexOf(':') + 1)..] is var port && port != "53" ? $" -p {port}" : string.Empty;

    /// <summary>What <c>while true; do curl http://127.0.0.1:30080/hostname.html; done</c> prints: one new connection per request.</summary>
    private static async Task CurlLoopAsync(int nodePort, int requests, CancellationToken cancellationToken)
    {
        Say($"$ for i in $(seq {requests}); do curl http://127.0.0.1:{nodePort}/hostname.html; done");
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{nodePort}/hostname.html");
            request.Headers.ConnectionClose = true;
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                Print(await response.Content.ReadAsStringAsync(cancellationToken));
            }
            catch (HttpRequestException e)
            {
                Print($"curl: {e.Message}\n");
            }
        }
    }

    /// <summary>The data plane binds a new service's listeners asynchronously (milliseconds) after the write; bounded at 10 s.</summary>
    private static async Task WaitUntilListeningAsync(ServiceProxyServer server, int nodePort, CancellationToken cancellationToken)
    {
        for (var waited = 0; waited < 10_000; waited += 10)
        {
            if (server.GetStatus().Any(port => port.Listening.Any(endPoint => endPoint.Port == nodePort)))
            {
                return;
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>
    /// The data plane applies a registry change asynchronously (milliseconds). Round-robin over three
    /// pods never answers twice in a row from the same one, so two equal answers in a row mean the
    /// ClientIP affinity is live. Bounded: after 10 s the demo goes on and shows what it gets.
    /// </summary>
    private static async Task WaitUntilStickyAsync(int nodePort, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        string? previous = null;
        try
        {
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{nodePort}/hostname.html");
                request.Headers.ConnectionClose = true;
                using var response = await http.SendAsync(request, timeout.Token);
                var name = await response.Content.ReadAsStringAsync(timeout.Token);
                if (name == previous)
                {
                    return;
                }

                previous = name;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // Give up waiting; the loop below shows the state as it is.
        }
    }

    private static Pod DemoPod(string name, IPAddress address, int port) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = ObjectMeta.DefaultNamespace,
            Labels = new Dictionary<string, string> { ["app"] = "myapp", ["pod-template-hash"] = "2560367528", ["release"] = "canary" },
        },
        Spec = new PodSpec
        {
            Containers = [new Container { Name = "myapp", Image = "ikubernetes/myapp:v1", Ports = [new PodContainerPort { Name = "http", ContainerPort = port, Protocol = "TCP" }] }],
        },
        Status = new PodStatus
        {
            Phase = "Running",
            PodIP = address.ToString(),
            PodIPs = [new PodIP { Ip = address.ToString() }],
            Conditions = [new PodCondition { Type = "Ready", Status = "True" }],
        },
    };

    /// <summary>The seed's myapp-svc.yaml, with the pods' unprivileged port as targetPort.</summary>
    private static string MyAppService(int nodePort, int targetPort) => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: myapp
          namespace: default
        spec:
          selector:
            app: myapp
            release: canary
          type: NodePort
          ports:
          - port: 80
            targetPort: {targetPort}
            nodePort: {nodePort}

        """);

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]));
    }

    private static void Say(string line) => Console.Out.Write("\n" + line + "\n");

    private static void Print(string text) => Console.Out.Write(text);
}

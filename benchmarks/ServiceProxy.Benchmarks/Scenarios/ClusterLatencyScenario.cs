using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

using static ServiceProxy.Benchmarks.ScenarioProcesses;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// Cluster programming latency on a real etcd: <c>cluster-latency [services] [writes] [svcproxy.dll]</c>
/// (default 1 000 stored Services, 100 measured writes, the Release build of src/ServiceProxy.Host).
/// Starts a 3-member etcd on loopback (free ports, a temporary directory), node A (api, controllers)
/// and node C (api, proxy), stores the Services through A, then for each measured write creates an
/// Endpoints and its Service through A and times from the Service's 201 until a connection to its
/// ClusterIP through C echoes; then, for each of those Services, replaces its Endpoints' backend
/// through A and times from the 200 until a connection through C reaches the new backend. Prints
/// p50, p99 and the maximum of each. Needs <c>etcd</c> on the PATH; every process and directory it
/// starts is removed at the end.
/// </summary>
internal static class ClusterLatencyScenario
{
    private const int Port = 8080;

    public static async Task<int> RunAsync(string[] args)
    {
        var services = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000;
        var writes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var dll = args.Length > 2 ? args[2] : FindSvcproxy();
        var root = Directory.CreateTempSubdirectory("svcproxy-cluster-latency-").FullName;
        var processes = new List<Process>();
        using var stop = new CancellationTokenSource();
        using var backend = StartEcho(0, stop.Token);

        // The backend Endpoints move to: it answers each byte plus one, so a reply tells which one answered.
        using var moved = StartEcho(1, stop.Token);
        try
        {
            var backendPort = PortOf(backend);
            var movedPort = PortOf(moved);

            var clients = StartEtcd(root, processes);
            string[] shared = ["run", "--etcd-servers", clients, "--service-cidr", "127.203.0.0/20", "--node-address", "127.0.0.1", "--loadbalancer-pool", ""];
            var a = StartNode(dll, processes, [.. shared, "--node-name", "node-a", "--roles", "api,controllers"]);
            var c = StartNode(dll, processes, [.. shared, "--node-name", "node-c", "--roles", "api,proxy"]);
            await Task.WhenAll(WaitReadyAsync(a, TimeSpan.FromSeconds(120)), WaitReadyAsync(c, TimeSpan.FromSeconds(120)));

            var stored = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
            {
                for (var i = worker; i < services; i += 16)
                {
                    await PostAsync(a, "services", Service($"stored-{i}"));
                }
            }));
            Console.WriteLine($"{services} Services stored through node A in {stored.Elapsed.TotalSeconds:F1} s");

            var latencies = new List<double>(writes);
            var targets = new List<IPEndPoint>(writes);
            for (var i = 0; i < writes; i++)
            {
                await PostAsync(a, "endpoints", Endpoints($"measured-{i}", backendPort));
                var created = await PostAsync(a, "services", Service($"measured-{i}"));
                var acknowledged = Stopwatch.StartNew();
                var target = new IPEndPoint(IPAddress.Parse(created["spec"]!["clusterIP"]!.GetValue<string>()), Port);
                await UntilAnsweredAsync(target, 7, acknowledged);
                latencies.Add(acknowledged.Elapsed.TotalMilliseconds);
                targets.Add(target);
            }

            Report($"Service created: 201 through node A -> accepting through node C, {writes} writes with {services} Services stored", latencies);

            var changes = new List<double>(writes);
            for (var i = 0; i < writes; i++)
            {
                await PutAsync(a, "endpoints", $"measured-{i}", Endpoints($"measured-{i}", movedPort));
                var acknowledged = Stopwatch.StartNew();
                await UntilAnsweredAsync(targets[i], 8, acknowledged);
                changes.Add(acknowledged.Elapsed.TotalMilliseconds);
            }

            Report($"Endpoints changed: 200 through node A -> the new backend through node C, {writes} writes with {services + writes} Services stored", changes);
            return 0;
        }
        finally
        {
            await stop.CancelAsync();
            await StopAllAsync(processes);

            Directory.Delete(root, recursive: true);
        }
    }

    private static void Report(string what, List<double> latencies) => Console.WriteLine($"{what}: {Summary(latencies)}");

    private static string StartEtcd(string root, List<Process> processes)
    {
        var members = Enumerable.Range(0, 3).Select(i => (Name: $"m{i}", Client: FreePort(), Peer: FreePort())).ToList();
        var initial = string.Join(',', members.Select(m => $"{m.Name}=http://127.0.0.1:{m.Peer}"));
        foreach (var (name, client, peer) in members)
        {
            processes.Add(Start("etcd",
            [
                "--name", name, "--data-dir", Path.Combine(root, name), "--logger", "zap", "--log-level", "warn",
                "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
                "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
                "--initial-cluster", initial, "--initial-cluster-state", "new",
            ]));
        }

        return string.Join(',', members.Select(m => $"http://127.0.0.1:{m.Client}"));
    }

    private static HttpClient StartNode(string dll, List<Process> processes, string[] args)
    {
        var (process, api) = StartSvcproxy(dll, args);
        processes.Add(process);
        return api;
    }

    private static JsonObject Service(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = Port, ["protocol"] = "TCP" }) },
    };

    private static JsonObject Endpoints(string name, int port) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Endpoints",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["subsets"] = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" }),
            ["ports"] = new JsonArray(new JsonObject { ["port"] = port, ["protocol"] = "TCP" }),
        }),
    };
}

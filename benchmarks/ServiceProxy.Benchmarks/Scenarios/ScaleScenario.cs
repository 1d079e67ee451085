using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using static ServiceProxy.Benchmarks.ScenarioProcesses;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// The host at scale: <c>scale-scenario [counts] [writes] [svcproxy.dll] [--shards N]</c> (default counts
/// 100,1000,9000, 200 writes, one process). For each count N it writes a manifest of N Services with two TCP
/// ports each (80 and 443, ClusterIPs in 127.128.0.0/16) and N Endpoints with three addresses each
/// (echo backends on 127.0.0.21-23), starts <c>svcproxy run -f</c> on it and reports:
/// the time from the process start to <c>/readyz</c>, then checks that all 2N listeners answer through
/// to a backend; the host's RSS; then, for each of the measured writes, the time from a new Service's
/// 201 until both its ports answer, and from an Endpoints update's 200 until connections reach the new
/// backend, with the host's CPU time per write (three API writes per measured Service) and its CPU
/// while idle. The measured writes follow 500 unmeasured ones (Services created and updated), so they
/// time the steady state rather than the JIT compiling the write path. Every process and directory it starts is removed at
/// the end. One process holds a descriptor per listener, so N is at most about 9 800 here (20 000
/// descriptors per process). With <c>--shards N</c> the node runs N data planes (<c>--proxy-shard</c>):
/// the first serves the API and the manifest, the others follow its API (<c>--roles proxy --master</c>);
/// ready is every process's <c>/readyz</c>, and RSS and CPU are summed over the processes.
/// </summary>
internal static class ScaleScenario
{
    private static readonly int[] Ports = [80, 443];

    /// <summary>Services created and updated before the measured writes.</summary>
    private const int WarmUpWrites = 500;

    public static async Task<int> RunAsync(string[] args)
    {
        var shardsAt = Array.IndexOf(args, "--shards");
        var shards = shardsAt >= 0 ? int.Parse(args[shardsAt + 1], CultureInfo.InvariantCulture) : 1;
        args = shardsAt >= 0 ? [.. args[..shardsAt], .. args[(shardsAt + 2)..]] : args;
        var counts = args.Length > 0 ? args[0].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray() : [100, 1_000, 9_000];
        var writes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var dll = args.Length > 2 ? args[2] : FindSvcproxy();
        using var stop = new CancellationTokenSource();
        var (backends, port) = StartBackends(0, stop.Token);
        var (moved, movedPort) = StartBackends(1, stop.Token);
        try
        {
            Console.WriteLine($"{shards} process(es)");
            Console.WriteLine("services | listeners | ready (s) | RSS (MiB) | idle CPU (% of a core) | create p50/p99 (ms) | update p50/p99 (ms) | CPU/write (ms)");
            foreach (var count in counts)
            {
                await RunOneAsync(dll, count, writes, shards, port, movedPort);
            }

            return 0;
        }
        finally
        {
            await stop.CancelAsync();
            backends.Concat(moved).ToList().ForEach(b => b.Dispose());
        }
    }

    private static async Task RunOneAsync(string dll, int count, int writes, int shards, int port, int movedPort)
    {
        var root = Directory.CreateTempSubdirectory("svcproxy-scale-").FullName;
        var manifest = Path.Combine(root, "services.yaml");
        await File.WriteAllTextAsync(manifest, Manifest(count, port));
        var processes = new List<Process>();
        var clients = new List<HttpClient>();
        try
        {
            var started = Stopwatch.StartNew();
            string[] common = ["--node-address", "127.0.0.1", "--log-level", "Warning"];
            string[] shard = shards > 1 ? ["--proxy-shard", $"0/{shards}"] : [];
            var (first, api) = StartSvcproxy(dll, ["run", "-f", manifest, "--service-cidr", "127.128.0.0/16", "--loadbalancer-pool", "", .. common, .. shard]);
            processes.Add(first);
            clients.Add(api);
            for (var k = 1; k < shards; k++)
            {
                var (follower, health) = StartSvcproxy(dll, ["run", "--roles", "proxy", "--master", api.BaseAddress!.ToString().TrimEnd('/'), "--proxy-shard", $"{k}/{shards}", .. common]);
                processes.Add(follower);
                clients.Add(health);
            }

            foreach (var client in clients)
            {
                await WaitReadyAsync(client, TimeSpan.FromSeconds(300));
            }

            var ready = started.Elapsed;
            var silent = await SweepAsync(count);
            if (silent > 0)
            {
                throw new InvalidOperationException($"{silent} of {count * Ports.Length} listeners did not answer once /readyz said ready");
            }

            var rss = processes.Sum(RssMiB);

            // Idle: what the host burns with every listener open and no traffic (timers, sweeps),
            // once the sweep's connections have closed and their aftermath (tiered JIT, GC) settled.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var idleFrom = Cpu(processes);
            var idleWall = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(5));
            var idle = (Cpu(processes) - idleFrom).TotalMilliseconds / idleWall.Elapsed.TotalMilliseconds * 100;

            // Unmeasured: the write path's first calls JIT-compile it in every process (tiered
            // compilation goes on for hundreds of calls); the figures are the steady state's.
            for (var i = 0; i < WarmUpWrites; i++)
            {
                var name = $"warm-{i}";
                await PostAsync(api, "endpoints", Endpoints(name, port));
                await PostAsync(api, "services", Service(name, ClusterIP(count + writes + i)));
                await PutAsync(api, "endpoints", name, Endpoints(name, movedPort));
            }

            await UntilAnsweredAsync(new IPEndPoint(ClusterIP(count + writes + WarmUpWrites - 1), Ports[0]), 8, Stopwatch.StartNew());
            var cpu = Cpu(processes);
            var each = processes.Select(p => p.TotalProcessorTime).ToList();
            var created = new List<double>(writes);
            var createdByShard = Enumerable.Range(0, shards).Select(_ => new List<double>()).ToList();
            for (var i = 0; i < writes; i++)
            {
                var name = $"measured-{i}";
                await PostAsync(api, "endpoints", Endpoints(name, port));
                await PostAsync(api, "services", Service(name, ClusterIP(count + i)));
                var acknowledged = Stopwatch.StartNew();
                foreach (var servicePort in Ports)
                {
                    await UntilAnsweredAsync(new IPEndPoint(ClusterIP(count + i), servicePort), 7, acknowledged);
                }

                created.Add(acknowledged.Elapsed.TotalMilliseconds);
                createdByShard[ServiceProxy.Kubernetes.Registry.ProxyShard.Of("default", name, shards)].Add(acknowledged.Elapsed.TotalMilliseconds);
            }

            var updated = new List<double>(writes);
            for (var i = 0; i < writes; i++)
            {
                var name = $"measured-{i}";
                await PutAsync(api, "endpoints", name, Endpoints(name, movedPort));
                var acknowledged = Stopwatch.StartNew();
                await UntilAnsweredAsync(new IPEndPoint(ClusterIP(count + i), Ports[0]), 8, acknowledged);
                updated.Add(acknowledged.Elapsed.TotalMilliseconds);
            }

            created.Sort();
            updated.Sort();
            var cpuPerWrite = (Cpu(processes) - cpu).TotalMilliseconds / (3 * writes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count} | {count * Ports.Length} | {ready.TotalSeconds:F2} | {rss:F1} | {idle:F1} | {Pair(created)} | {Pair(updated)} | {cpuPerWrite:F2}"));
            Console.WriteLine($"  create: {Summary(created)}; update: {Summary(updated)}");
            if (processes.Count > 1)
            {
                createdByShard.ForEach(c => c.Sort());
                Console.WriteLine("  create by shard: " + string.Join("; ", createdByShard.Select((c, k) => $"{k}: {(c.Count > 0 ? Summary(c) : "none")}")));
                Console.WriteLine("  CPU/write by process (ms): " + string.Join(", ", processes.Select((p, k) =>
                    ((p.TotalProcessorTime - each[k]).TotalMilliseconds / (3 * writes)).ToString("F2", CultureInfo.InvariantCulture))));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
            await StopAllAsync(processes);
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>User and system time of <paramref name="processes"/> together.</summary>
    private static TimeSpan Cpu(List<Process> processes)
    {
        processes.ForEach(p => p.Refresh());
        return TimeSpan.FromTicks(processes.Sum(p => p.TotalProcessorTime.Ticks));
    }

    /// <summary>Connects to every listener once, 64 at a time; returns how many did not answer.</summary>
    private static async Task<int> SweepAsync(int count)
    {
        var silent = 0;
        var targets = Enumerable.Range(0, count).SelectMany(i => Ports.Select(p => new IPEndPoint(ClusterIP(i), p)));
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (target, _) =>
        {
            if (await AnswerAsync(target) != 7)
            {
                Interlocked.Increment(ref silent);
            }
        });
        return silent;
    }

    private static string Pair(List<double> sorted) => string.Create(CultureInfo.InvariantCulture,
        $"{Percentile(sorted, 0.50):F1} / {Percentile(sorted, 0.99):F1}");

    private static double RssMiB(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>The i-th ClusterIP, clear of the range's network address.</summary>
    private static IPAddress ClusterIP(int i) => new([127, 128, (byte)((i + 10) >> 8), (byte)((i + 10) & 0xff)]);

    private static string[] BackendAddresses => ["127.0.0.21", "127.0.0.22", "127.0.0.23"];

    /// <summary>Echo backends on the three endpoint addresses, one port shared by all three (bound 0 on the first).</summary>
    private static (List<Socket> Listeners, int Port) StartBackends(byte delta, CancellationToken stop)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var listeners = new List<Socket>();
            try
            {
                var port = 0;
                foreach (var address in BackendAddresses)
                {
                    listeners.Add(StartEcho(new IPEndPoint(IPAddress.Parse(address), port), delta, stop));
                    port = PortOf(listeners[0]);
                }

                return (listeners, port);
            }
            catch (SocketException)
            {
                // The first address's free port is taken on another; try another port.
                listeners.ForEach(l => l.Dispose());
            }
        }

        throw new InvalidOperationException("no port free on all of " + string.Join(", ", BackendAddresses));
    }

    private static string Manifest(int count, int port)
    {
        var yaml = new StringBuilder(count * 600);
        for (var i = 0; i < count; i++)
        {
            var name = $"svc-{i}";
            yaml.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: v1
                kind: Service
                metadata:
                  name: {name}
                spec:
                  clusterIP: {ClusterIP(i)}
                  ports:
                  - name: http
                    port: 80
                  - name: https
                    port: 443
                ---
                apiVersion: v1
                kind: Endpoints
                metadata:
                  name: {name}
                subsets:
                - addresses:
                  - ip: 127.0.0.21
                  - ip: 127.0.0.22
                  - ip: 127.0.0.23
                  ports:
                  - name: http
                    port: {port}
                  - name: https
                    port: {port}
                ---

                """);
        }

        return yaml.ToString();
    }

    private static JsonObject Service(string name, IPAddress clusterIP) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = clusterIP.ToString(),
            ["ports"] = new JsonArray(
                new JsonObject { ["name"] = "http", ["port"] = 80 },
                new JsonObject { ["name"] = "https", ["port"] = 443 }),
        },
    };

    private static JsonObject Endpoints(string name, int port) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Endpoints",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["subsets"] = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(BackendAddresses.Select(a => (JsonNode)new JsonObject { ["ip"] = a }).ToArray()),
            ["ports"] = new JsonArray(
                new JsonObject { ["name"] = "http", ["port"] = port },
                new JsonObject { ["name"] = "https", ["port"] = port }),
        }),
    };
}

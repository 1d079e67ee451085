using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

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
        using var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var moved = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var stop = new CancellationTokenSource();
        try
        {
            backend.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            backend.Listen(512);
            _ = EchoAsync(backend, 0, stop.Token);
            var backendPort = ((IPEndPoint)backend.LocalEndPoint!).Port;

            // The backend Endpoints move to: it answers each byte plus one, so a reply tells which one answered.
            moved.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            moved.Listen(512);
            _ = EchoAsync(moved, 1, stop.Token);
            var movedPort = ((IPEndPoint)moved.LocalEndPoint!).Port;

            var clients = StartEtcd(root, processes);
            string[] shared = ["run", "--etcd-servers", clients, "--service-cidr", "127.203.0.0/20", "--node-address", "127.0.0.1", "--loadbalancer-pool", ""];
            var a = StartNode(dll, processes, [.. shared, "--node-name", "node-a", "--roles", "api,controllers"]);
            var c = StartNode(dll, processes, [.. shared, "--node-name", "node-c", "--roles", "api,proxy"]);
            await Task.WhenAll(WaitReadyAsync(a), WaitReadyAsync(c));

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
            foreach (var process in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                }

                process.Dispose();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    private static void Report(string what, List<double> latencies)
    {
        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms"));
    }

    /// <summary>Connects through node C until a connection answers <paramref name="expected"/> to the byte 7, for at most 10 s.</summary>
    private static async Task UntilAnsweredAsync(IPEndPoint target, byte expected, Stopwatch since)
    {
        while (await AnswerAsync(target) != expected)
        {
            if (since.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"{target} not answered with {expected} through node C within 10 s");
            }

            await Task.Delay(1);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

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
        var admin = $"127.0.0.1:{FreePort()}";
        processes.Add(Start("dotnet", [dll, .. args, "--admin", admin]));
        return new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static Process Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(HttpClient node)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            try
            {
                using var response = await node.GetAsync("/readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{node.BaseAddress} not ready within 120 s");
    }

    private static async Task<JsonObject> PostAsync(HttpClient node, string resource, JsonObject body)
    {
        using var response = await node.PostAsync($"/api/v1/namespaces/default/{resource}", JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.Created
            ? JsonNode.Parse(text)!.AsObject()
            : throw new InvalidOperationException($"POST {resource}: {(int)response.StatusCode} {text}");
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

    private static async Task<JsonObject> PutAsync(HttpClient node, string resource, string name, JsonObject body)
    {
        using var response = await node.PutAsync($"/api/v1/namespaces/default/{resource}/{name}", JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK
            ? JsonNode.Parse(text)!.AsObject()
            : throw new InvalidOperationException($"PUT {resource}/{name}: {(int)response.StatusCode} {text}");
    }

    /// <summary>The byte a connection answers to the byte 7; -1 when it does not.</summary>
    private static async Task<int> AnswerAsync(IPEndPoint target)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(target, timeout.Token);
            await socket.SendAsync(new byte[] { 7 }, SocketFlags.None, timeout.Token);
            var buffer = new byte[1];
            return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 1 ? buffer[0] : -1;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return -1;
        }
    }

    /// <summary>Answers every byte with that byte plus <paramref name="delta"/>.</summary>
    private static async Task EchoAsync(Socket listener, byte delta, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var buffer = new byte[64];
                    try
                    {
                        int read;
                        while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
                        {
                            for (var i = 0; i < read; i++)
                            {
                                buffer[i] += delta;
                            }

                            await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
                        }
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException)
                    {
                    }
                }
            }, CancellationToken.None);
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The Release build of the host, found from the repository root above this program.</summary>
    private static string FindSvcproxy()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "ServiceProxy.Host", "bin", "Release", "net10.0", "svcproxy.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("svcproxy.dll: build src/ServiceProxy.Host -c Release, or pass its path");
    }
}

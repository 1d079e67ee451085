using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// What the real-clock scenarios share: starting svcproxy and etcd processes (output drained, so a full
/// pipe never stalls them), waiting for <c>/readyz</c>, API writes that must succeed, echo backends and
/// the connection that tells which backend answered, free ports and percentiles.
/// </summary>
internal static class ScenarioProcesses
{
    public static Process Start(string file, IEnumerable<string> args)
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

    /// <summary>Starts svcproxy with <paramref name="args"/> and a free admin address; the client talks to that address.</summary>
    public static (Process Process, HttpClient Api) StartSvcproxy(string dll, IEnumerable<string> args)
    {
        var admin = $"127.0.0.1:{FreePort()}";
        var process = Start("dotnet", [dll, .. args, "--admin", admin]);
        return (process, new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(30) });
    }

    public static async Task StopAllAsync(IEnumerable<Process> processes)
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }

    public static async Task WaitReadyAsync(HttpClient node, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
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

            await Task.Delay(50);
        }

        throw new TimeoutException($"{node.BaseAddress} not ready within {within.TotalSeconds:F0} s");
    }

    public static async Task<JsonObject> PostAsync(HttpClient node, string resource, JsonObject body)
    {
        using var response = await node.PostAsync($"/api/v1/namespaces/default/{resource}", JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.Created
            ? JsonNode.Parse(text)!.AsObject()
            : throw new InvalidOperationException($"POST {resource}: {(int)response.StatusCode} {text}");
    }

    public static async Task<JsonObject> PutAsync(HttpClient node, string resource, string name, JsonObject body)
    {
        using var response = await node.PutAsync($"/api/v1/namespaces/default/{resource}/{name}", JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK
            ? JsonNode.Parse(text)!.AsObject()
            : throw new InvalidOperationException($"PUT {resource}/{name}: {(int)response.StatusCode} {text}");
    }

    /// <summary>Connects until a connection answers the byte 7 with <paramref name="expected"/>, for at most 10 s after <paramref name="since"/> started.</summary>
    public static async Task UntilAnsweredAsync(IPEndPoint target, byte expected, Stopwatch since)
    {
        while (await AnswerAsync(target) != expected)
        {
            if (since.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"{target} not answered with {expected} within 10 s");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>The byte a connection answers to the byte 7; -1 when it does not.</summary>
    public static async Task<int> AnswerAsync(IPEndPoint target)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
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

    /// <summary>A loopback listener answering every byte with that byte plus <paramref name="delta"/>, until <paramref name="stop"/>.</summary>
    public static Socket StartEcho(byte delta, CancellationToken stop) => StartEcho(new IPEndPoint(IPAddress.Loopback, 0), delta, stop);

    /// <summary>An echo listener on <paramref name="endPoint"/>, answering every byte with that byte plus <paramref name="delta"/>.</summary>
    public static Socket StartEcho(IPEndPoint endPoint, byte delta, CancellationToken stop)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(512);
        }
        catch (SocketException)
        {
            listener.Dispose();
            throw;
        }

        _ = EchoAsync(listener, delta, stop);
        return listener;
    }

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

    public static int PortOf(Socket listener) => ((IPEndPoint)listener.LocalEndPoint!).Port;

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1))];

    public static string Summary(List<double> latencies)
    {
        latencies.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms");
    }

    /// <summary>The Release build of the host, found from the repository root above this program.</summary>
    public static string FindSvcproxy()
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

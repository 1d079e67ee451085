using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.FunctionalTests.Tcp;
using Xunit.Abstractions;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// Floods and stalls against the real svcproxy: what one client or a stuck log collector does to
/// the event loops must never hold up the other connections they serve. The flood takes every core
/// for seconds, so this class runs alone: it would slow the tests beside it, and they its figures.
/// </summary>
[Collection(nameof(ExclusiveCollection))]
public sealed class DataPlaneFloodTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FloodDuration = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Tcp_round_trips_stay_short_while_a_UDP_flood_hits_the_same_event_loop()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = cts.Token;
        await using var echo = TestBackend.Echo();
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp); // never read: the proxy's sends just drop
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // One loop: the flooded UDP socket and the TCP relay share its thread.
        await using var canary = await CanaryHost.StartAsync(["--event-loops", "1"]);
        var udp = await CreateServiceAsync(canary.Host, "flood", "UDP", ((IPEndPoint)sink.LocalEndPoint!).Port);
        var tcp = await CreateServiceAsync(canary.Host, "echo", "TCP", echo.EndPoint.Port); // bound once it connects: the UDP port before it
        using var client = await ConnectAsync(tcp, ct);
        var ping = new byte[1];
        for (var i = 0; i < 100; i++)
        {
            await RoundTripAsync(client, ping, ct); // warm: the JIT, the relay's first events
        }

        // As many flooding threads as cores: together they send faster than one loop can forward,
        // so its socket never runs dry while they last.
        using var flooding = new CancellationTokenSource(FloodDuration);
        var sent = new long[Environment.ProcessorCount];
        var flooders = Enumerable.Range(0, sent.Length)
            .Select(i => Task.Factory.StartNew(() => sent[i] = Flood(udp, flooding.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        var roundTrips = new List<double>();
        while (!flooding.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            await RoundTripAsync(client, ping, ct);
            roundTrips.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        await Task.WhenAll(flooders);
        roundTrips.Sort();
        var p99 = roundTrips[(int)(roundTrips.Count * 0.99)];
        var max = roundTrips[^1];
        output.WriteLine($"{sent.Sum()} datagrams sent; {roundTrips.Count} round trips: median {roundTrips[roundTrips.Count / 2]:F2} ms, p99 {p99:F2} ms, max {max:F2} ms");
        Assert.True(sent.Sum() > 10_000, $"the flood sent only {sent.Sum()} datagrams");
        // A loop that drains the flood before anything else keeps one round trip waiting for the
        // whole flood (5 s, one or two round trips in all). The bounds are generous because on a
        // loaded 2-core machine the flooding threads take the cores from the test's own client and
        // echo server too (a median of 100 ms seen at a load average of 34).
        Assert.True(max < 2_000, $"a round trip took {max:F0} ms under the flood (p99 {p99:F0} ms, {roundTrips.Count} round trips)");
        Assert.True(roundTrips.Count >= 10, $"only {roundTrips.Count} round trips in {FloodDuration.TotalSeconds} s of flood (max {max:F0} ms)");
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task A_stalled_stdout_never_stalls_the_data_plane()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var ct = cts.Token;
        // Standard output is a pipe nobody reads: once its 64 KiB and the console logger's queue are
        // full, every access-log line would wait for a reader that never comes.
        await using var canary = await CanaryHost.StartAsync(["--access-log"], readStdout: false);
        var request = Encoding.ASCII.GetBytes("GET /hostname.html HTTP/1.1\r\nHost: canary\r\nConnection: close\r\n\r\n");
        const int Connections = 6000; // one access-log line each: far more than the pipe (~400) and the queue (4096) hold
        const int Parallel = 8;
        var slowest = TimeSpan.Zero;
        var next = 0;
        var workers = Enumerable.Range(0, Parallel).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= Connections)
            {
                var started = Stopwatch.GetTimestamp();
                await GetThroughCanaryAsync(canary.NodePort, request, ct);
                var elapsed = Stopwatch.GetElapsedTime(started);
                lock (request)
                {
                    slowest = elapsed > slowest ? elapsed : slowest;
                }
            }
        });
        await Task.WhenAll(workers);

        output.WriteLine($"{Connections} connections, slowest {slowest.TotalMilliseconds:F0} ms");
        await canary.AssertServingAsync();

        // Once stdout is read again, the console logger says how many lines it dropped, with the
        // first line it queues after them.
        canary.Host.StartReadingStdout();
        const string DropReport = "dropped because of queue size limit";
        for (var i = 0; i < 100 && !canary.Host.Output.Contains(DropReport, StringComparison.Ordinal); i++)
        {
            await GetThroughCanaryAsync(canary.NodePort, request, ct);
            await Task.Delay(100, ct);
        }

        output.WriteLine(await canary.Host.WaitForOutputAsync(DropReport, TimeSpan.FromSeconds(10)));
    }

    /// <summary>One HTTP request on its own connection; fails when the answer does not come within 10 s.</summary>
    private static async Task GetThroughCanaryAsync(int nodePort, byte[] request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, nodePort), timeout.Token);
            await socket.SendAsync(request, SocketFlags.None, timeout.Token);
            var buffer = new byte[4096];
            var answer = 0;
            int read;
            while ((read = await socket.ReceiveAsync(buffer.AsMemory(answer), SocketFlags.None, timeout.Token)) > 0)
            {
                answer += read;
            }

            Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, answer), StringComparison.Ordinal);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("the canary did not answer within 10 s: the data plane is stalled");
        }
    }

    /// <summary>Sends small datagrams to <paramref name="target"/> as fast as one thread can until cancelled.</summary>
    private static long Flood(IPEndPoint target, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        var datagram = new byte[16];
        var sent = 0L;
        while (!ct.IsCancellationRequested)
        {
            for (var i = 0; i < 256; i++)
            {
                try
                {
                    socket.Send(datagram);
                    sent++;
                }
                catch (SocketException)
                {
                    // An ICMP error from an earlier datagram: the flood goes on.
                }
            }
        }

        return sent;
    }

    private static async Task RoundTripAsync(Socket client, byte[] ping, CancellationToken ct)
    {
        await client.SendAsync(ping, SocketFlags.None, ct);
        var read = await client.ReceiveAsync(ping, SocketFlags.None, ct);
        Assert.Equal(1, read);
    }

    /// <summary>
    /// Connects to the Service's ClusterIP and makes one round trip, retrying while the data plane has
    /// not bound it yet or has not seen its Endpoints yet (a port without endpoints resets its clients).
    /// </summary>
    private static async Task<Socket> ConnectAsync(IPEndPoint service, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(service, ct);
                await socket.SendAsync(new byte[1], SocketFlags.None, ct);
                if (await socket.ReceiveAsync(new byte[1], SocketFlags.None, ct) != 1)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                return socket;
            }
            catch (SocketException) when (attempt < 100)
            {
                socket.Dispose();
                await Task.Delay(50, ct);
            }
        }
    }

    /// <summary>A selector-less ClusterIP Service on port 7000 and its Endpoints (127.0.0.1:<paramref name="backendPort"/>), through the admin API.</summary>
    private static async Task<IPEndPoint> CreateServiceAsync(HostProcess host, string name, string protocol, int backendPort)
    {
        var service = await PostAsync(host, "services", $$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}"},"spec":{"ports":[{"protocol":"{{{protocol}}}","port":7000}]}}
            """);
        await PostAsync(host, "endpoints", $$$"""
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"{{{name}}}"},"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"protocol":"{{{protocol}}}","port":{{{backendPort}}}}]}]}
            """);
        return new IPEndPoint(IPAddress.Parse(service["spec"]!["clusterIP"]!.ToString()), 7000);
    }

    private static async Task<JsonNode> PostAsync(HostProcess host, string resource, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        using var response = await host.Http.PostAsync($"/api/v1/namespaces/default/{resource}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {resource}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }
}

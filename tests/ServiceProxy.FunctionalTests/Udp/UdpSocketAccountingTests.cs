using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Udp;
using Xunit.Abstractions;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>
/// Tests that count process-wide resources (descriptors, allocated bytes) run alone, after the
/// parallel ones, so other tests' sockets and garbage do not blur the count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UdpSocketAccounting
{
    public const string Name = "UDP socket accounting";
}

[Collection(UdpSocketAccounting.Name)]
public sealed class UdpSocketAccountingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_source_ports_keep_sessions_and_descriptors_bounded()
    {
        const int Capacity = 1000;
        const int DistinctPorts = 10_000;
        const int Batch = 100;
        await using var echo = new UdpTestBackend("a", recordSources: false);
        var options = new ServiceProxyOptions { Udp = { MaxSessionsPerPort = Capacity } };
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: options);
        using var early = new UdpTestClient();
        await early.AskAsync(proxy.EndPoint, "early");
        var descriptorsBefore = CountDescriptors();

        var ports = new HashSet<int>();
        var mostSessions = 0;
        var mostDescriptors = 0;
        using var budget = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Ephemeral ports get reused, so keep opening batches until 10 000 distinct ones were seen.
        for (var round = 0; ports.Count < DistinctPorts && round < 3 * DistinctPorts / Batch; round++)
        {
            budget.Token.ThrowIfCancellationRequested();
            using var batch = new UdpTestClients(Batch);
            await Task.WhenAll(Enumerable.Range(0, Batch).Select(i => batch[i].AskWithRetriesAsync(proxy.EndPoint, "flood")));
            for (var i = 0; i < Batch; i++)
            {
                ports.Add(batch[i].LocalEndPoint.Port);
            }

            mostSessions = Math.Max(mostSessions, proxy.Proxy.SessionCount);
            mostDescriptors = Math.Max(mostDescriptors, CountDescriptors());
        }

        Assert.True(ports.Count >= DistinctPorts, $"only {ports.Count} distinct source ports");
        Assert.Equal(Capacity, mostSessions);
        Assert.Equal(Capacity, proxy.Proxy.SessionCount);
        Assert.Equal(Capacity, proxy.Proxy.ActiveSessions);
        Assert.True(
            proxy.Measured("serviceproxy.udp.sessions.closed/evicted") >= DistinctPorts - Capacity,
            "evictions: " + proxy.Measured("serviceproxy.udp.sessions.closed/evicted"));
        if (OperatingSystem.IsLinux())
        {
            // At most: one socket per session, the batch's clients, a little slack.
            Assert.InRange(mostDescriptors - descriptorsBefore, 0, Capacity + Batch + 64);
        }

        // The first client was evicted long ago: its next datagram opens a fresh session.
        Assert.Equal("a", await early.AskWithRetriesAsync(proxy.EndPoint, "late"));
        Assert.Equal(Capacity, proxy.Proxy.SessionCount);
    }

    [Fact]
    public async Task Steady_state_forwarding_allocates_nothing_per_datagram()
    {
        const int Warmup = 500;
        const int RoundTrips = 5000;
        await using var echo = new UdpTestBackend("echo", tagReplies: false, recordSources: false);
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], measure: false);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = proxy.EndPoint.Serialize();
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var request = new byte[512];
        var reply = new byte[2048];
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Allocation-free itself: no xunit assertion inside (they allocate comparers).
        async Task<int> RoundTripsAsync(int count)
        {
            var wrong = 0;
            for (var i = 0; i < count; i++)
            {
                await client.SendToAsync(request, SocketFlags.None, target, budget.Token);
                var n = await client.ReceiveFromAsync(reply, SocketFlags.None, from, budget.Token);
                wrong += n == request.Length ? 0 : 1;
            }

            return wrong;
        }

        Assert.Equal(0, await RoundTripsAsync(Warmup));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var loops = proxy.Proxy.Transport.Loops;
        var beforeOnLoops = loops is null ? 0 : await LoopAllocations.MeasureAsync(loops);
        var wrongSizes = await RoundTripsAsync(RoundTrips);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        var allocatedOnLoops = (loops is null ? 0 : await LoopAllocations.MeasureAsync(loops)) - beforeOnLoops;

        Assert.Equal(0, wrongSizes);
        output.WriteLine($"{allocated} bytes allocated in the process, {allocatedOnLoops} on the event loops, over {RoundTrips} round trips");
        // Each round trip runs both proxy directions; one allocation per datagram (a Task, a boxed
        // state machine, an IPEndPoint) would cost 100+ KB here. Where the proxy runs on the event
        // loops (Linux), their threads are counted alone: the process total also holds this test's
        // own client and echo sockets on .NET's engine, which allocate ~150 B per round trip in some
        // runs and none in others. Elsewhere the whole process is counted.
        var measured = loops is not null ? allocatedOnLoops : allocated;
        Assert.True(measured < RoundTrips * 8, $"{measured} bytes for {RoundTrips} round trips ({measured / (double)RoundTrips:F1} B each; process: {allocated})");
        Assert.Equal(1, proxy.Proxy.SessionCount);
    }

    private static int CountDescriptors() =>
        OperatingSystem.IsLinux() ? Directory.GetFiles("/proc/self/fd").Length : 0;
}

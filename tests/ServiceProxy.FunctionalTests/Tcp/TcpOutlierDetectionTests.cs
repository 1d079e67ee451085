using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>Passive health over real sockets: failed connects eject an endpoint from the port's rotation for a while.</summary>
public sealed class TcpOutlierDetectionTests
{
    private const string FailuresInstrument = "serviceproxy.tcp.connect.failures";
    private const string EjectionsInstrument = "serviceproxy.tcp.endpoint.ejections";
    private const string EjectedInstrument = "serviceproxy.tcp.endpoints.ejected";

    [Fact]
    public async Task A_refusing_endpoint_gets_no_dial_after_its_failures_eject_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        using var refusing = TcpDialTests.BoundButNotListening();
        var refused = (IPEndPoint)refusing.LocalEndPoint!;
        await using var one = TestBackend.Identified(1);
        await using var two = TestBackend.Identified(2);
        using var meters = new TestMeterFactory();
        using var failures = new MeasurementRecorder(meters, FailuresInstrument);
        using var ejections = new MeasurementRecorder(meters, EjectionsInstrument);
        await using var proxy = await StartAsync([one.EndPoint, refused, two.EndPoint], new OutlierDetectionConfig(3, TimeSpan.FromMinutes(5), 50), meters);

        for (var i = 0; i < 40; i++)
        {
            using var client = await proxy.ConnectAsync(ct);
            Assert.Contains((await Loopback.ReadExactlyAsync(client, 1, ct))[0], new byte[] { 1, 2 });
        }

        // Three refusals ejected it; the 30-odd connections after that never dialed it again.
        Assert.Equal(3, failures.Measurements.Count(m => Equals(m.Tags["serviceproxy.endpoint"], refused.ToString())));
        Assert.Equal(1, ejections.Sum);
        Assert.Equal(40, one.Accepted + two.Accepted);
    }

    [Fact]
    public async Task After_a_blackholed_endpoint_is_ejected_no_client_waits_for_the_connect_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var attempt = TimeSpan.FromSeconds(1);
        await using var silent = await TcpDialTests.SilentEndpoint.CreateAsync(ct);
        await using var good = TestBackend.Identified(7);
        using var meters = new TestMeterFactory();
        using var failures = new MeasurementRecorder(meters, FailuresInstrument);
        using var ejections = new MeasurementRecorder(meters, EjectionsInstrument);
        await using var proxy = await StartAsync([silent.EndPoint, good.EndPoint], new OutlierDetectionConfig(2, TimeSpan.FromMinutes(5), 50), meters,
            o => o.Tcp.ConnectTimeouts = [attempt, attempt]);

        for (var i = 0; i < 4 && ejections.Sum == 0; i++)
        {
            using var client = await proxy.ConnectAsync(ct);
            Assert.Equal(7, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);
        }

        Assert.Equal(1, ejections.Sum);
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var client = await proxy.ConnectAsync(ct);
            Assert.Equal(7, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, Stopwatch.GetElapsedTime(started).Ticks));
        }

        Assert.Equal(2, failures.Sum); // the two that ejected it, none since
        Assert.True(slowest < attempt, $"a connection took {slowest.TotalMilliseconds} ms: it waited for the ejected endpoint");
    }

    [Fact]
    public async Task With_every_endpoint_refusing_the_maximum_percentage_keeps_half_of_them_in_rotation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var sockets = Enumerable.Range(0, 4).Select(_ => TcpDialTests.BoundButNotListening()).ToArray();
        try
        {
            var endpoints = sockets.Select(s => (IPEndPoint)s.LocalEndPoint!).ToArray();
            using var meters = new TestMeterFactory();
            using var failures = new MeasurementRecorder(meters, FailuresInstrument);
            using var ejections = new MeasurementRecorder(meters, EjectionsInstrument);
            using var ejected = new MeasurementRecorder(meters, EjectedInstrument);
            await using var proxy = await StartAsync(endpoints, new OutlierDetectionConfig(2, TimeSpan.FromMinutes(5), 50), meters);

            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(SocketError.ConnectionReset, await Loopback.ConnectAndAwaitResetAsync(proxy.EndPoint, ct));
            }

            Assert.Equal(2, ejections.Sum);
            Assert.Equal(2, ejected.Sum);
            var before = failures.Measurements.Count;
            Assert.Equal(SocketError.ConnectionReset, await Loopback.ConnectAndAwaitResetAsync(proxy.EndPoint, ct));
            await ProxyHarness.WaitUntilAsync(() => failures.Measurements.Count >= before + 4);

            // The last attempts went to the two endpoints still in rotation, never to the ejected ones.
            var lastDialed = failures.Measurements.Skip(before).Select(m => (string)m.Tags["serviceproxy.endpoint"]!).ToHashSet();
            Assert.Equal(2, lastDialed.Count);
        }
        finally
        {
            Array.ForEach(sockets, s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_refusing_endpoint_that_starts_listening_is_used_again_after_its_ejection_time()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        using var reviving = TcpDialTests.BoundButNotListening();
        await using var good = TestBackend.Identified(1);
        using var meters = new TestMeterFactory();
        using var ejections = new MeasurementRecorder(meters, EjectionsInstrument);
        using var ejected = new MeasurementRecorder(meters, EjectedInstrument);
        using var logs = new CapturingLoggerFactory();
        await using var proxy = await StartAsync([(IPEndPoint)reviving.LocalEndPoint!, good.EndPoint], new OutlierDetectionConfig(2, TimeSpan.FromSeconds(1), 50), meters,
            loggerFactory: logs);

        for (var i = 0; i < 6 && ejections.Sum == 0; i++)
        {
            using var client = await proxy.ConnectAsync(ct);
            Assert.Equal(1, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);
        }

        var ejectedAt = Stopwatch.GetTimestamp();
        Assert.Equal(1, ejections.Sum);
        reviving.Listen();
        var serving = ServeAsync(reviving, id: 2, ct);

        var revived = false;
        for (var i = 0; i < 200 && !revived; i++)
        {
            using var client = await proxy.ConnectAsync(ct);
            revived = (await Loopback.ReadExactlyAsync(client, 1, ct))[0] == 2;
            if (!revived)
            {
                await Task.Delay(25, ct);
            }
        }

        Assert.True(revived, "the endpoint never came back");
        Assert.True(Stopwatch.GetElapsedTime(ejectedAt) >= TimeSpan.FromMilliseconds(800), "it came back before its ejection time");
        Assert.Equal(1, ejections.Sum);
        Assert.Equal(0, ejected.Sum);
        Assert.Contains(logs.Entries, e => e.Message.Contains("ejected for", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("returned to rotation", StringComparison.Ordinal));
        await cts.CancelAsync();
        await serving;
    }

    private static async Task ServeAsync(Socket listener, byte id, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                using var accepted = await listener.AcceptAsync(cancellationToken);
                await accepted.SendAsync(new[] { id }, SocketFlags.None, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // the test is over
        }
    }

    private static async Task<ProxyHarness> StartAsync(
        IEnumerable<IPEndPoint> endpoints, OutlierDetectionConfig outliers, TestMeterFactory meters,
        Action<ServiceProxyOptions>? configure = null, CapturingLoggerFactory? loggerFactory = null)
    {
        var proxy = await ProxyHarness.StartAsync([], configure, meterFactory: meters, loggerFactory: loggerFactory);
        var next = proxy.Provider.Ports.Single() with { Endpoints = [.. endpoints], OutlierDetection = outliers };
        proxy.Provider.Update([next]);
        await ProxyHarness.WaitUntilAsync(() => proxy.Server.GetPortProxy(ProxyHarness.Key)?.Config.Equals(next) == true);
        return proxy;
    }
}

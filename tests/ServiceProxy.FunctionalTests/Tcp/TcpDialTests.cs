using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpDialTests
{
    private static readonly TimeSpan ShortAttempt = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Refusing_and_silent_endpoints_are_skipped_within_the_retry_ladder()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        using var refusing = BoundButNotListening();
        await using var silent = await SilentEndpoint.CreateAsync(ct);
        await using var good = TestBackend.Identified(9);
        using var meters = new TestMeterFactory();
        using var failures = new MeasurementRecorder(meters, "serviceproxy.tcp.connect.failures");
        await using var proxy = await ProxyHarness.StartAsync(
            [(IPEndPoint)refusing.LocalEndPoint!, silent.EndPoint, good.EndPoint],
            o => o.Tcp.ConnectTimeouts = [ShortAttempt, ShortAttempt, ShortAttempt, ShortAttempt],
            meterFactory: meters);

        for (var i = 0; i < 6; i++)
        {
            using var client = await proxy.ConnectAsync(ct);
            Assert.Equal(9, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);
        }

        Assert.Equal(6, good.Accepted);
        var failed = failures.Measurements;
        Assert.Contains(failed, m => Equals(m.Tags["serviceproxy.endpoint"], refusing.LocalEndPoint!.ToString()));
        Assert.Contains(failed, m => Equals(m.Tags["serviceproxy.endpoint"], silent.EndPoint.ToString()));
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Without_endpoints_the_client_is_reset_quickly_and_counted(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var meters = new TestMeterFactory();
        using var rejected = new MeasurementRecorder(meters, "serviceproxy.tcp.connections.rejected");
        await using var proxy = await ProxyHarness.StartAsync([], ProxyHarness.Engine(engine), meterFactory: meters);

        Assert.Equal(SocketError.ConnectionReset, await Loopback.ConnectAndAwaitResetAsync(proxy.EndPoint, cts.Token));
        await ProxyHarness.WaitUntilAsync(() => rejected.Sum == 1);
    }

    [Fact]
    public async Task When_every_attempt_fails_the_client_is_reset_after_the_whole_ladder()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var refusing = BoundButNotListening();
        using var meters = new TestMeterFactory();
        using var failures = new MeasurementRecorder(meters, "serviceproxy.tcp.connect.failures");
        await using var proxy = await ProxyHarness.StartAsync([(IPEndPoint)refusing.LocalEndPoint!],
            o => o.Tcp.ConnectTimeouts = [ShortAttempt, ShortAttempt, ShortAttempt, ShortAttempt], meterFactory: meters);

        Assert.Equal(SocketError.ConnectionReset, await Loopback.ConnectAndAwaitResetAsync(proxy.EndPoint, cts.Token));
        Assert.Equal(4, failures.Sum);
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public Task A_silent_endpoint_times_out_after_each_attempts_timeout(RelayEngine engine) =>
        SilentEndpointTimesOutAsync(engine, acceptOnEventLoops: true);

    /// <summary>
    /// The dial then starts on .NET's socket thread while the loop may sleep with no timeout: the
    /// loop must be woken to keep the deadline.
    /// </summary>
    [Fact]
    public Task A_silent_endpoint_times_out_when_dotnet_accepts_for_the_splice_loops() =>
        SilentEndpointTimesOutAsync(RelayEngine.Splice, acceptOnEventLoops: false);

    private static async Task SilentEndpointTimesOutAsync(RelayEngine engine, bool acceptOnEventLoops)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var silent = await SilentEndpoint.CreateAsync(cts.Token);
        using var meters = new TestMeterFactory();
        using var failures = new MeasurementRecorder(meters, "serviceproxy.tcp.connect.failures");
        await using var proxy = await ProxyHarness.StartAsync([silent.EndPoint],
            ProxyHarness.Engine(engine, o =>
            {
                o.Tcp.ConnectTimeouts = [ShortAttempt, ShortAttempt];
                o.Tcp.AcceptOnEventLoops = acceptOnEventLoops;
            }),
            meterFactory: meters);

        var started = Stopwatch.GetTimestamp();
        Assert.Equal(SocketError.ConnectionReset, await Loopback.ConnectAndAwaitResetAsync(proxy.EndPoint, cts.Token));

        // Both attempts waited for their timeout (nothing refused them), and neither waited for ever.
        Assert.True(Stopwatch.GetElapsedTime(started) >= 2 * ShortAttempt - TimeSpan.FromMilliseconds(20));
        Assert.Equal(2, failures.Sum);
    }

    /// <summary>A bound socket that does not listen: connecting to it is refused, and the port stays ours.</summary>
    internal static Socket BoundButNotListening()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    /// <summary>
    /// A listener with backlog 1 that never accepts, its queue filled: further SYNs are dropped, so a
    /// connect neither succeeds nor is refused (a blackhole, on loopback).
    /// </summary>
    internal sealed class SilentEndpoint : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _fillers = [];

        private SilentEndpoint(Socket listener)
        {
            _listener = listener;
            EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        }

        public IPEndPoint EndPoint { get; }

        public static async Task<SilentEndpoint> CreateAsync(CancellationToken cancellationToken)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var silent = new SilentEndpoint(listener);
            for (var i = 0; i < 10; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent._fillers.Add(filler);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(300);
                try
                {
                    await filler.ConnectAsync(silent.EndPoint, attempt.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return silent; // the queue is full: this connect hung
                }
            }

            await silent.DisposeAsync();
            throw new InvalidOperationException("the backlog never filled; cannot make a silent endpoint");
        }

        public ValueTask DisposeAsync()
        {
            _fillers.ForEach(f => f.Dispose());
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

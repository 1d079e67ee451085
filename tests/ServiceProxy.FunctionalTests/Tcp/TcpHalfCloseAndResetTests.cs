using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpHalfCloseAndResetTests
{
    private const int OneMiB = 1 << 20;

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Client_half_closes_and_still_reads_the_full_response(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var responseHash = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, _) =>
        {
            var (requestHash, _) = await Loopback.ReadToEndHashedAsync(socket, ct); // waits for the client's FIN
            await socket.SendAsync(requestHash, SocketFlags.None, ct);
            responseHash.SetResult(await Loopback.SendHashedAsync(socket, OneMiB, seed: 7, ct));
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));

        using var client = await proxy.ConnectAsync(ct);
        var sent = await Loopback.SendHashedAsync(client, OneMiB, seed: 3, ct); // then shuts down its send side
        var echoedHash = await Loopback.ReadExactlyAsync(client, 32, ct);
        var (gotHash, length) = await Loopback.ReadToEndHashedAsync(client, ct);

        Assert.Equal(sent, echoedHash);
        Assert.Equal(OneMiB, length);
        Assert.Equal(await responseHash.Task, gotHash);
        await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0);
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Server_writes_first_and_half_closes_and_still_reads_the_full_request(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var greetingHash = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestHash = new TaskCompletionSource<(byte[], long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, _) =>
        {
            greetingHash.SetResult(await Loopback.SendHashedAsync(socket, OneMiB, seed: 5, ct)); // then FIN
            requestHash.SetResult(await Loopback.ReadToEndHashedAsync(socket, ct));
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));

        using var client = await proxy.ConnectAsync(ct);
        var (greeting, greetingLength) = await Loopback.ReadToEndHashedAsync(client, ct);
        var sent = await Loopback.SendHashedAsync(client, OneMiB, seed: 6, ct);

        Assert.Equal(OneMiB, greetingLength);
        Assert.Equal(await greetingHash.Task, greeting);
        var (received, length) = await requestHash.Task.WaitAsync(ct);
        Assert.Equal(OneMiB, length);
        Assert.Equal(sent, received);
        await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0);
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_backend_reset_reaches_the_client_as_a_reset(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = new TestBackend(async (socket, _) =>
        {
            await Loopback.ReadExactlyAsync(socket, 1, ct);
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));

        using var client = await proxy.ConnectAsync(ct);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);

        Assert.Equal(SocketError.ConnectionReset, await Loopback.ReceiveUntilErrorAsync(client, ct));
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_client_reset_reaches_the_backend_as_a_reset(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var backendSaw = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, _) =>
        {
            await Loopback.ReadExactlyAsync(socket, 1, ct);
            await socket.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
            backendSaw.SetResult(await Loopback.ReceiveUntilErrorAsync(socket, ct));
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));

        var client = await proxy.ConnectAsync(ct);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        await Loopback.ReadExactlyAsync(client, 1, ct);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        Assert.Equal(SocketError.ConnectionReset, await backendSaw.Task.WaitAsync(ct));
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_half_closed_connection_without_traffic_ends_after_the_half_closed_timeout(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var backendSawEof = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, stopping) =>
        {
            await Loopback.ReadToEndHashedAsync(socket, ct);
            backendSawEof.SetResult();
            await Task.Delay(Timeout.Infinite, stopping); // never answers nor closes
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint],
            ProxyHarness.Engine(engine, o => o.Tcp.HalfClosedTimeout = TimeSpan.FromMilliseconds(300)));

        using var client = await proxy.ConnectAsync(ct);
        client.Shutdown(SocketShutdown.Send);
        await backendSawEof.Task.WaitAsync(ct);

        Assert.Equal(SocketError.ConnectionReset, await Loopback.ReceiveUntilErrorAsync(client, ct));
        await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0);
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout_but_a_busy_one_is_not(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint],
            ProxyHarness.Engine(engine, o => o.Tcp.IdleTimeout = TimeSpan.FromSeconds(1)));

        using var busy = await proxy.ConnectAsync(ct);
        using var idle = await proxy.ConnectAsync(ct);
        var idleEnded = Loopback.ReceiveUntilErrorAsync(idle, ct);
        // The busy client runs on a thread of its own: with other tests beside this one, this
        // process's thread pool can stall for a second, and a client waiting on it would then be
        // silent for an idle timeout, which the proxy rightly enforces.
        busy.ReceiveTimeout = 10_000;
        await Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 30; i++) // 3 s of traffic, three idle timeouts long
            {
                busy.Send([(byte)i]);
                var echo = new byte[1];
                Assert.Equal(1, busy.Receive(echo));
                Assert.Equal((byte)i, echo[0]);
                Thread.Sleep(100);
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Assert.Equal(SocketError.ConnectionReset, await idleEnded);
        await busy.SendAsync(new byte[] { 42 }, SocketFlags.None, ct);
        Assert.Equal(42, (await Loopback.ReadExactlyAsync(busy, 1, ct))[0]);
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_connection_the_kernel_received_data_on_within_the_idle_timeout_is_not_idle(RelayEngine engine)
    {
        // The proxy's clock runs on by more than the idle timeout while the wire carried a byte a moment ago, as a
        // process finds it after a stall (a starved thread pool, a long GC) before its relay recorded that byte: the
        // kernel's last receive, not only the relay's record, decides whether the connection was idle.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var time = new FakeTimeProvider();
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint],
            ProxyHarness.Engine(engine, o => o.Tcp.IdleTimeout = TimeSpan.FromSeconds(1)), time: time);
        using var client = await proxy.ConnectAsync(ct);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        Assert.Equal(1, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);

        for (var i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250)); // every sweep on time, the last 2 s after the byte
        }

        await client.SendAsync(new byte[] { 2 }, SocketFlags.None, ct);
        Assert.Equal(2, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);

        // Silent for an idle timeout by both clocks: the connection ends.
        await Task.Delay(TimeSpan.FromMilliseconds(1200), ct);
        var ended = Loopback.ReceiveUntilErrorAsync(client, ct);
        for (var i = 0; i < 8 && !ended.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(50, ct);
        }

        Assert.Equal(SocketError.ConnectionReset, await ended);
    }
}

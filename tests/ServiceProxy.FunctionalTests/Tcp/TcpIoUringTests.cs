using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Internal.Linux;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>
/// The io_uring engine over real sockets: its loops really relay through the ring, a bulk phase
/// goes through splice, an idle connection holds no buffer, and buffers held by slow readers do
/// not stall the loop's other connections. The byte-exactness, half-close, reset and backpressure
/// tests run it with every other engine (<see cref="Engines"/>).
/// </summary>
public sealed class TcpIoUringTests
{
    [Fact]
    public async Task The_loops_relay_through_the_ring_bulk_is_spliced_and_an_idle_connection_holds_no_buffer()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return; // the engine is the socket engine there; its own tests cover it
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.IoUring));
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint, ct);
        var loops = proxy.Server.EventLoops;
        Assert.Equal(0, loops.IoUringErrno);
        Assert.All(loops.Loops, loop => Assert.True(loop.UsesIoUring, "a loop fell back to splice"));
        var rentedBefore = loops.Pipes.Rented;

        // 200 round trips of 64 bytes: each goes through a ring buffer, no pipe is taken.
        var message = new byte[64];
        var reply = new byte[64];
        for (var i = 0; i < 200; i++)
        {
            message[0] = (byte)i;
            await client.SendAsync(message, SocketFlags.None, ct);
            await EchoExchange.ReadExactlyAsync(client, reply, ct);
            Assert.Equal(message, reply);
        }

        Assert.Equal(rentedBefore, loops.Pipes.Rented);
        Assert.True(loops.Loops.Sum(l => l.RingBuffersAllocated) > 0, "no ring buffer was ever taken");

        // 16 MiB each way at once: full buffers start bulk phases, which splice.
        var payload = new byte[16 << 20];
        new Random(5).NextBytes(payload);
        await EchoExchange.EchoThroughAsync(client, payload, ct);
        Assert.True(loops.Pipes.Rented > rentedBefore, "a bulk transfer took no pipe: it was copied");

        // Still open but idle: no pipe held, and no buffer but those lent to a chained send, which
        // each direction gives back with its next receive (at most one per direction).
        await ProxyHarness.WaitUntilAsync(() => loops.Pipes.InUse == 0 && loops.Loops.All(l => l.RingBuffersHeld == l.RingBuffersLent), timeoutMs: 5_000);
        Assert.Equal(0, loops.Pipes.InUse);
        Assert.All(loops.Loops, l => Assert.Equal(l.RingBuffersLent, l.RingBuffersHeld));
        Assert.InRange(loops.Loops.Sum(l => l.RingBuffersLent), 0, 2);
        Assert.Equal(1, proxy.PortProxy.Status.ActiveConnections);

        // Small messages go through the ring again after the bulk phase.
        await client.SendAsync(message, SocketFlags.None, ct);
        await EchoExchange.ReadExactlyAsync(client, reply, ct);
        Assert.Equal(message, reply);
    }

    [Fact]
    public async Task Idle_connections_keep_no_more_buffers_than_the_loop_lends_to_chained_sends()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.IoUring, o => o.EventLoops.Count = 1));
        var loop = Assert.Single(proxy.Server.EventLoops.Loops);
        Assert.True(loop.UsesIoUring);

        // 100 connections, one small round trip each, then idle: 200 chained sends were asked for.
        var clients = new List<Socket>();
        try
        {
            var reply = new byte[64];
            for (var i = 0; i < 100; i++)
            {
                var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(proxy.EndPoint, ct);
                await client.SendAsync(new byte[64], SocketFlags.None, ct);
                await EchoExchange.ReadExactlyAsync(client, reply, ct);
            }

            await ProxyHarness.WaitUntilAsync(() => loop.RingBuffersHeld == loop.RingBuffersLent, timeoutMs: 5_000);
            Assert.Equal(EventLoop.MaxLentBuffers, loop.RingBuffersLent);
            Assert.Equal(EventLoop.MaxLentBuffers, loop.RingBuffersHeld);

            // Each lent buffer comes back with its direction's next receive: here, the end of stream.
            clients.ForEach(c => c.Dispose());
            clients.Clear();
            await ProxyHarness.WaitUntilAsync(() => loop.RingBuffersHeld == 0 && loop.RingBuffersLent == 0, timeoutMs: 10_000);
            Assert.Equal(0, loop.RingBuffersHeld);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_chained_send_to_a_backend_that_does_not_read_gives_its_buffer_back_when_the_idle_timeout_ends_it()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var backend = new TestBackend((_, token) => Task.Delay(Timeout.Infinite, token)); // never reads
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.IoUring, o =>
        {
            o.EventLoops.Count = 1;
            o.Tcp.SocketSendBufferSize = 4096;
            o.Tcp.IdleTimeout = TimeSpan.FromSeconds(5);
        }));
        var loop = Assert.Single(proxy.Server.EventLoops.Loops);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint, ct);
        var ended = Loopback.ReceiveUntilErrorAsync(client, ct);

        // 512 bytes a millisecond, each read alone (32 would have to arrive together to fill a
        // buffer) and chained, 300 KiB in all: more than the backend's receive buffer takes, so one
        // chain's send ends up waiting for a backend that never reads, well before the idle timeout
        // (5 s since the last byte moved).
        client.Blocking = false;
        for (var i = 0; i < 600; i++)
        {
            try
            {
                client.Send(new byte[512]);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                // The client's own buffers are full too.
            }

            await Task.Delay(1, ct);
        }

        Assert.Equal(1, loop.RingBuffersLent);
        Assert.Equal(1, loop.RingBuffersHeld);

        // The idle timeout resets both sides; the cancelled send gives its buffer back.
        Assert.Equal(SocketError.ConnectionReset, await ended);
        await ProxyHarness.WaitUntilAsync(() => loop.RingBuffersHeld == 0 && loop.RingBuffersLent == 0, timeoutMs: 10_000);
        Assert.Equal(0, loop.RingBuffersHeld);
        await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0, timeoutMs: 10_000);
    }

    [Fact]
    public async Task Where_the_kernel_refuses_a_ring_the_loops_relay_with_splice_and_a_warning_says_why()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        using var logs = new CapturingLoggerFactory();
        await using var backend = TestBackend.Echo();
        // A ring of no entries, which io_uring_setup refuses with EINVAL, as it refuses any ring
        // where io_uring is turned off.
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.IoUring, o => o.EventLoops.IoUringEntries = 0), loggerFactory: logs);
        var loops = proxy.Server.EventLoops;
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint, ct);
        var payload = new byte[4 << 20];
        new Random(3).NextBytes(payload);
        await EchoExchange.EchoThroughAsync(client, payload, ct);

        Assert.Equal(Libc.EINVAL, loops.IoUringErrno);
        Assert.All(loops.Loops, loop => Assert.False(loop.UsesIoUring));
        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 114);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("errno 22", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Buffers_held_for_a_backend_that_does_not_read_stall_no_other_connection_and_lose_no_byte()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = 0;
        // The first two connections are not read until released; the others are echoed at once.
        await using var backend = new TestBackend(async (socket, token) =>
        {
            if (Interlocked.Increment(ref accepted) <= 2)
            {
                await release.Task.WaitAsync(token);
            }

            await TestBackend.EchoAsync(socket, token);
        });

        // One loop with two buffers; small send buffers make a send to a backend that does not
        // read stall early.
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.IoUring, o =>
        {
            o.EventLoops.Count = 1;
            o.EventLoops.IoUringBuffers = 2;
            o.Tcp.SocketSendBufferSize = 4096;
        }));
        var loop = Assert.Single(proxy.Server.EventLoops.Loops);
        Assert.True(loop.UsesIoUring);

        var stalled = new List<(Socket Client, Task Echo)>();
        for (var i = 0; i < 2; i++)
        {
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(proxy.EndPoint, ct);
            // 1 KiB messages a millisecond apart: each is read alone, far below a buffer's 16 KiB,
            // so the direction never goes bulk (to splice) before its send to the backend stalls.
            var payload = new byte[512 << 10];
            new Random(i).NextBytes(payload);
            stalled.Add((client, EchoExchange.EchoThroughAsync(client, payload, ct, paced: true)));
        }

        try
        {
            // Each stalled send holds its buffer: the loop has none left. Both held for half a second
            // running, not two sends that were in flight at the same moment while the backend's
            // receive buffer still had room.
            var held = System.Diagnostics.Stopwatch.StartNew();
            await ProxyHarness.WaitUntilAsync(() =>
            {
                if (loop.RingBuffersHeld != 2)
                {
                    held.Restart();
                }

                return held.ElapsedMilliseconds >= 500;
            }, timeoutMs: 20_000);
            Assert.Equal(2, loop.RingBuffersHeld);
            Assert.Equal(2, loop.RingBuffersAllocated);

            // Another connection of the same loop still carries 256 KiB each way, byte for byte.
            using (var other = new Socket(SocketType.Stream, ProtocolType.Tcp))
            {
                await other.ConnectAsync(proxy.EndPoint, ct);
                var payload = new byte[256 << 10];
                new Random(9).NextBytes(payload);
                await EchoExchange.EchoThroughAsync(other, payload, ct);
            }

            Assert.True(loop.BufferExhaustions > 0, "no receive found the buffers exhausted");
            Assert.False(stalled.Any(s => s.Echo.IsCompleted), "the backend was never stalled");

            release.SetResult();
            await Task.WhenAll(stalled.Select(s => s.Echo)); // every byte of both, in order
            Assert.Equal(2, loop.RingBuffersAllocated);
            await ProxyHarness.WaitUntilAsync(() => loop.RingBuffersHeld == loop.RingBuffersLent, timeoutMs: 5_000);
            Assert.Equal(loop.RingBuffersLent, loop.RingBuffersHeld); // only chained sends' buffers, until their next receive
        }
        finally
        {
            release.TrySetResult();
            stalled.ForEach(s => s.Client.Dispose());
        }
    }
}

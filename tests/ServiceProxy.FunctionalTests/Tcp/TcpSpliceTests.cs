using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>
/// The splice engine's two modes over real sockets; each server counts its own pipes.
/// </summary>
public sealed class TcpSpliceTests
{
    [Fact]
    public async Task Small_messages_are_copied_bulk_is_spliced_and_an_idle_connection_holds_no_pipe()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return; // the engine is the socket engine there; its own tests cover it
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.Splice));
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint, ct);
        var pipes = proxy.Server.EventLoops.Pipes;
        var rentedBefore = pipes.Rented;

        // 200 round trips of 64 bytes: each read is short, so no pipe is ever taken.
        var message = new byte[64];
        var reply = new byte[64];
        for (var i = 0; i < 200; i++)
        {
            message[0] = (byte)i;
            await client.SendAsync(message, SocketFlags.None, ct);
            await EchoExchange.ReadExactlyAsync(client, reply, ct);
            Assert.Equal(message, reply);
        }

        Assert.Equal(rentedBefore, pipes.Rented);

        // 16 MiB each way at once: full chunks switch both directions to splice(2).
        var payload = new byte[16 << 20];
        new Random(7).NextBytes(payload);
        var echoed = new byte[payload.Length];
        var send = client.SendAsync(payload, SocketFlags.None, ct).AsTask();
        await EchoExchange.ReadExactlyAsync(client, echoed, ct);
        await send;
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "bulk bytes differ");
        Assert.True(pipes.Rented > rentedBefore, "a bulk transfer took no pipe: it was copied");

        // Still open but idle: every pipe went back to the pool.
        await ProxyHarness.WaitUntilAsync(() => pipes.InUse == 0, timeoutMs: 5_000);
        Assert.Equal(0, pipes.InUse);
        Assert.Equal(1, proxy.PortProxy.Status.ActiveConnections);

        // And small messages flow again after the bulk phase.
        await client.SendAsync(message, SocketFlags.None, ct);
        await EchoExchange.ReadExactlyAsync(client, reply, ct);
        Assert.Equal(message, reply);
    }

    [Fact]
    public async Task Bulk_is_copied_while_no_pipe_can_be_created_and_spliced_again_once_one_can()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        // A chunk size no other test uses: its pools start with no idle pipe, so every pipe is created.
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.Splice, o => o.Tcp.MaxBufferPerDirection = 96 * 1024));
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.EndPoint, ct);
        var payload = new byte[16 << 20];
        new Random(11).NextBytes(payload);
        var pipes = proxy.Server.EventLoops.Pipes;
        var rentedBefore = pipes.Rented;
        var failuresBefore = pipes.CreateFailures;

        // pipe2 fails as in a process out of descriptors (EMFILE): both directions carry 16 MiB anyway.
        pipes.CreatePipe = static (out int readFd, out int writeFd) =>
        {
            readFd = writeFd = -1;
            System.Runtime.InteropServices.Marshal.SetLastPInvokeError(Libc.EMFILE);
            return -1;
        };
        try
        {
            await EchoExchange.EchoThroughAsync(client, payload, ct);
            Assert.Equal(rentedBefore, pipes.Rented);
            Assert.True(pipes.CreateFailures > failuresBefore, "no pipe creation was tried: the transfer never went bulk");
        }
        finally
        {
            pipes.CreatePipe = Libc.Pipe;
        }

        // Descriptors are back: after the pool's pause between attempts (100 ms), a later bulk
        // transfer on the same connection splices again.
        await Task.Delay(300, ct);
        await EchoExchange.EchoThroughAsync(client, payload, ct);
        Assert.True(pipes.Rented > rentedBefore, "no pipe was taken once pipes could be created again");
        Assert.Equal(1, proxy.PortProxy.Status.ActiveConnections);
    }
}

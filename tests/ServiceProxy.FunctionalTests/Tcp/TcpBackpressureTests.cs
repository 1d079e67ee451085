using System.Net.Sockets;
using System.Security.Cryptography;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;
using Xunit.Abstractions;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpBackpressureTests(ITestOutputHelper output)
{
    private const int MaxBuffer = 64 * 1024;
    private const int SocketBuffer = 16 * 1024;
    private const int Total = 4 << 20;
    private const int Chunk = 8 * 1024;

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_slow_reader_blocks_the_writer_within_the_buffer_bound_and_then_gets_every_byte(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        long written = 0;
        var backendSendBuffer = 0;
        var sentHash = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, _) =>
        {
            socket.SendBufferSize = SocketBuffer;
            Volatile.Write(ref backendSendBuffer, socket.SendBufferSize);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var data = new byte[Chunk];
            for (var i = 0; i < Total / Chunk; i++)
            {
                BitConverter.TryWriteBytes(data, i);
                hash.AppendData(data);
                await socket.SendAsync(data, SocketFlags.None, ct); // as fast as the proxy takes it
                Interlocked.Add(ref written, Chunk);
            }

            socket.Shutdown(SocketShutdown.Send);
            sentHash.SetResult(hash.GetHashAndReset());
            await Loopback.ReadToEndHashedAsync(socket, ct);
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine, o =>
        {
            o.Tcp.MaxBufferPerDirection = MaxBuffer;
            o.Tcp.SocketSendBufferSize = SocketBuffer;
            o.Tcp.SocketReceiveBufferSize = SocketBuffer;
        }));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = SocketBuffer };
        await client.ConnectAsync(proxy.EndPoint, ct);

        // Slow phase: 1 KiB every 10 ms for about 3 s, while the backend pushes as fast as it can.
        using var hashReceived = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long read = 0;
        for (var i = 0; i < 300; i++)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(0, 1024), SocketFlags.None, ct);
            Assert.NotEqual(0, n);
            hashReceived.AppendData(buffer, 0, n);
            read += n;
            await Task.Delay(10, ct);
        }

        var connection = Assert.Single(proxy.PortProxy.Connections);
        long kernelBuffers = client.ReceiveBufferSize + connection.Client.SendBufferSize
            + connection.Backend!.ReceiveBufferSize + Volatile.Read(ref backendSendBuffer);
        var accepted = Interlocked.Read(ref written);
        output.WriteLine($"read {read}, writer accepted {accepted}, kernel buffers {kernelBuffers}, proxy max buffered {connection.MaxBuffered(RelayDirection.Downstream)}");
        Assert.InRange(accepted, read, read + kernelBuffers + MaxBuffer + Chunk);
        Assert.True(accepted < Total / 2, $"the writer was not held back: {accepted} bytes accepted while {read} were read");
        Assert.InRange(connection.MaxBuffered(RelayDirection.Downstream), 1, MaxBuffer);

        // Fast phase: drain the rest; every byte arrives in order.
        while (true)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0)
            {
                break;
            }

            hashReceived.AppendData(buffer, 0, n);
            read += n;
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(Total, read);
        Assert.Equal(await sentHash.Task.WaitAsync(ct), hashReceived.GetHashAndReset());
        Assert.InRange(connection.MaxBuffered(RelayDirection.Downstream), 1, MaxBuffer);
    }
}

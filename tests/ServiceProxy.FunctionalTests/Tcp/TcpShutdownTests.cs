using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpShutdownTests
{
    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Stopping_refuses_new_connections_and_lets_an_in_flight_transfer_complete(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sentHash = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, _) =>
        {
            await socket.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
            await proceed.Task.WaitAsync(ct);
            sentHash.SetResult(await Loopback.SendHashedAsync(socket, 8 << 20, seed: 11, ct));
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint],
            ProxyHarness.Engine(engine, o => o.ShutdownDrainTimeout = TimeSpan.FromSeconds(20)));
        var address = proxy.EndPoint;
        using var client = await proxy.ConnectAsync(ct);
        await Loopback.ReadExactlyAsync(client, 1, ct);

        var stopping = proxy.Server.StopAsync(ct);
        await ProxyHarness.WaitUntilAsync(() => proxy.Server.GetStatus().All(s => s.Listening.Count == 0));
        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(address, ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.False(stopping.IsCompleted);

        proceed.SetResult();
        var (received, length) = await Loopback.ReadToEndHashedAsync(client, ct);
        client.Shutdown(SocketShutdown.Send);
        await stopping.WaitAsync(ct);

        Assert.Equal(8 << 20, length);
        Assert.Equal(await sentHash.Task, received);
    }

    [Fact]
    public async Task Connections_still_open_when_the_drain_time_ends_are_closed()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint],
            o => o.ShutdownDrainTimeout = TimeSpan.FromMilliseconds(300));
        using var client = await proxy.ConnectAsync(ct);
        await TcpReconfigurationTests.AssertEchoesAsync(client, 1, ct);

        await proxy.Server.StopAsync(ct);

        Assert.Equal(SocketError.ConnectionReset, await Loopback.ReceiveUntilErrorAsync(client, ct));
        await ProxyHarness.WaitUntilAsync(() => backend.Open == 0);
    }
}

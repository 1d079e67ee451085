using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Internal.Linux;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>Each server runs its own event loops, with its own settings, and stops them when disposed.</summary>
public sealed class ServerEventLoopsTests
{
    [Fact]
    public async Task Two_servers_run_their_own_loops_and_one_keeps_proxying_when_the_other_is_disposed()
    {
        if (!EventLoopGroup.IsSupported)
        {
            return; // no event loops there: both servers run on .NET's socket engine
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        var first = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.Splice, o => o.EventLoops.Count = 1));
        await using var second = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(RelayEngine.Splice, o =>
        {
            o.EventLoops.Count = 2;
            o.EventLoops.BusyPoll = TimeSpan.FromMicroseconds(50);
        }));

        using (var throughFirst = await Loopback.ConnectAsync(first.EndPoint, ct))
        {
            await AssertEchoesAsync(throughFirst, 1, ct);
        }

        using var established = await Loopback.ConnectAsync(second.EndPoint, ct);
        await AssertEchoesAsync(established, 2, ct);
        var firstLoops = first.Server.EventLoops.Loops;
        var secondLoops = second.Server.EventLoops.Loops;
        Assert.Single(firstLoops);
        Assert.Equal(2, secondLoops.Count);
        Assert.Empty(firstLoops.Intersect(secondLoops));

        await first.DisposeAsync();

        Assert.All(firstLoops, loop => Assert.False(loop.IsRunning, "a disposed server's loop thread still runs"));
        Assert.All(secondLoops, loop => Assert.True(loop.IsRunning));
        await AssertEchoesAsync(established, 3, ct);
        for (var i = 0; i < 5; i++)
        {
            using var client = await Loopback.ConnectAsync(second.EndPoint, ct);
            await AssertEchoesAsync(client, (byte)(10 + i), ct);
        }
    }

    [Theory]
    [InlineData(RelayEngine.Socket)]
    [InlineData(RelayEngine.Pipelines)]
    public async Task A_server_whose_ports_need_no_loops_starts_none(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));
        using var client = await Loopback.ConnectAsync(proxy.EndPoint, cts.Token);
        await AssertEchoesAsync(client, 1, cts.Token);

        Assert.False(proxy.Server.EventLoops.IsStarted, "TCP on .NET's sockets started the event loops");
    }

    private static async Task AssertEchoesAsync(Socket client, byte value, CancellationToken ct)
    {
        var message = Enumerable.Repeat(value, 100).ToArray();
        await client.SendAsync(message, SocketFlags.None, ct);
        Assert.Equal(message, await Loopback.ReadExactlyAsync(client, message.Length, ct));
    }
}

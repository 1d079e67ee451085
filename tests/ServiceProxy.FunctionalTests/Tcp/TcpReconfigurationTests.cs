using System.Net;
using System.Net.Sockets;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpReconfigurationTests
{
    [Fact]
    public async Task Changing_endpoints_breaks_none_of_100_open_connections_and_new_ones_go_to_the_new_set()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var oldA = TestBackend.Echo();
        await using var oldB = TestBackend.Echo();
        await using var newA = TestBackend.Echo();
        await using var newB = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([oldA.EndPoint, oldB.EndPoint]);

        var open = new List<Socket>();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                open.Add(await proxy.ConnectAsync(ct));
                await AssertEchoesAsync(open[^1], (byte)i, ct);
            }

            // A dial that outlives its ladder step under load is retried, and the backend may have
            // accepted it too: count what the old set accepted before the change, not exactly 100.
            var acceptedBefore = oldA.Accepted + oldB.Accepted;
            await proxy.UpdateAsync([newA.EndPoint, newB.EndPoint]);

            for (var i = 0; i < open.Count; i++)
            {
                await AssertEchoesAsync(open[i], (byte)(i + 1), ct);
            }

            for (var i = 0; i < 20; i++)
            {
                using var fresh = await proxy.ConnectAsync(ct);
                await AssertEchoesAsync(fresh, 7, ct);
            }

            Assert.Equal(acceptedBefore, oldA.Accepted + oldB.Accepted);
            Assert.Equal(100, oldA.Open + oldB.Open);
            Assert.InRange(newA.Accepted + newB.Accepted, 20, 40);
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_removed_port_stops_listening_while_its_established_connections_continue()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint]);
        var address = proxy.EndPoint;
        using var established = await proxy.ConnectAsync(ct);
        await AssertEchoesAsync(established, 1, ct);

        proxy.Provider.Update([]);
        await ProxyHarness.WaitUntilAsync(() => proxy.Server.GetStatus().Count == 0);

        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(address, ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        await AssertEchoesAsync(established, 2, ct);
    }

    [Fact]
    public async Task AppliedVersion_follows_each_snapshot_once_its_listeners_are_bound()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint]);
        var address = proxy.EndPoint;
        var first = proxy.Provider.GetConfig().Version;
        Assert.Equal(first, proxy.Server.AppliedVersion);

        proxy.Provider.Update([]);
        var second = proxy.Provider.GetConfig().Version;
        Assert.True(second > first);
        await ProxyHarness.WaitUntilAsync(() => proxy.Server.AppliedVersion == second);
        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(address, cts.Token));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Only_the_changed_ports_are_touched_and_a_listen_change_restarts_just_that_port()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var other = TestBackend.Echo();
        var keyA = new ServicePortKey("default", "a", "", TransportProtocol.Tcp);
        var keyB = new ServicePortKey("default", "b", "", TransportProtocol.Tcp);
        var keyC = new ServicePortKey("default", "c", "", TransportProtocol.Tcp);
        var a = ProxyHarness.Port([backend.EndPoint], key: keyA);
        var b = ProxyHarness.Port([backend.EndPoint], key: keyB);
        var c = ProxyHarness.Port([backend.EndPoint], key: keyC);
        var provider = new InMemoryConfigProvider([a, b, c]);
        await using var server = new ServiceProxyServer(provider);
        await server.StartAsync(ct);
        var (proxyA, proxyB, proxyC) = (server.GetPortProxy(keyA), server.GetPortProxy(keyB), server.GetPortProxy(keyC));
        var listenC = server.GetStatus().Single(s => s.Key == keyC).Listening[0];
        using var establishedC = await Loopback.ConnectAsync(listenC, ct);
        await AssertEchoesAsync(establishedC, 1, ct);

        var bNext = b with { Endpoints = [other.EndPoint] };
        var cNext = c with { ListenEndPoints = [new IPEndPoint(Loopback.Address(3), 0)] };
        provider.Update([a, bNext, cNext]);
        await ProxyHarness.WaitUntilAsync(() => server.GetPortProxy(keyC) != proxyC && server.GetPortProxy(keyB)!.Config == bNext);

        Assert.Same(proxyA, server.GetPortProxy(keyA));
        Assert.Same(proxyB, server.GetPortProxy(keyB)); // updated in place
        Assert.Equal([other.EndPoint], server.GetPortProxy(keyB)!.Config.Endpoints.ToArray());
        var newListenC = server.GetStatus().Single(s => s.Key == keyC).Listening.Single();
        Assert.Equal(Loopback.Address(3), newListenC.Address);
        using var throughNewC = await Loopback.ConnectAsync(newListenC, ct);
        await AssertEchoesAsync(throughNewC, 2, ct);
        await AssertEchoesAsync(establishedC, 3, ct); // the restarted port's old connections drain, unbroken
    }

    [Fact]
    public async Task A_bind_failure_is_reported_while_the_port_serves_its_other_addresses_and_other_ports_run()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen(1);
        var taken = (IPEndPoint)squatter.LocalEndPoint!;
        var keyOther = new ServicePortKey("default", "other", "", TransportProtocol.Tcp);
        var provider = new InMemoryConfigProvider(
        [
            ProxyHarness.Port([backend.EndPoint], listen: [taken, new IPEndPoint(IPAddress.Loopback, 0)]),
            ProxyHarness.Port([backend.EndPoint], key: keyOther),
        ]);
        await using var server = new ServiceProxyServer(provider);
        await server.StartAsync(ct);

        var status = server.GetStatus().Single(s => s.Key == ProxyHarness.Key);
        var error = Assert.Single(status.Errors);
        Assert.Contains(taken.ToString(), error);
        Assert.Contains("AddressAlreadyInUse", error);
        using var viaOtherAddress = await Loopback.ConnectAsync(Assert.Single(status.Listening), ct);
        await AssertEchoesAsync(viaOtherAddress, 1, ct);
        var other = server.GetStatus().Single(s => s.Key == keyOther);
        Assert.Empty(other.Errors);
        using var viaOtherPort = await Loopback.ConnectAsync(other.Listening[0], ct);
        await AssertEchoesAsync(viaOtherPort, 2, ct);
    }

    internal static async Task AssertEchoesAsync(Socket socket, byte value, CancellationToken cancellationToken)
    {
        await socket.SendAsync(new[] { value }, SocketFlags.None, cancellationToken);
        Assert.Equal(value, (await Loopback.ReadExactlyAsync(socket, 1, cancellationToken))[0]);
    }
}

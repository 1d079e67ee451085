using System.Net;
using System.Net.Sockets;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.FunctionalTests.Udp;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>
/// <see cref="ServicePortConfig.EndpointsByFamily"/> on loopback: one port listening on 127.0.0.1
/// and ::1 in front of IPv4 and IPv6 endpoints sends each family's clients to that family only,
/// as kube-proxy does; without it every client may reach every endpoint.
/// </summary>
public sealed class DualStackPortTests
{
    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Tcp_clients_reach_the_endpoints_of_their_own_family(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var v4a = new TestBackend(Identify(4), "127.0.0.1");
        await using var v4b = new TestBackend(Identify(5), "127.0.0.1");
        await using var v6 = new TestBackend(Identify(6), "::1");
        var port = ProxyHarness.Port(
            [v4a.EndPoint, v4b.EndPoint, v6.EndPoint], listen: [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0)])
            with { EndpointsByFamily = true };
        await using var server = new ServiceProxyServer(new InMemoryConfigProvider([port]), Options(engine));
        await server.StartAsync();
        var listening = server.GetStatus().Single().Listening;

        var fromV6 = new List<byte>();
        var fromV4 = new List<byte>();
        for (var i = 0; i < 6; i++)
        {
            fromV6.Add(await IdOfAsync(listening.Single(e => e.AddressFamily == AddressFamily.InterNetworkV6), cts.Token));
            fromV4.Add(await IdOfAsync(listening.Single(e => e.AddressFamily == AddressFamily.InterNetwork), cts.Token));
        }

        Assert.All(fromV6, id => Assert.Equal(6, id));
        Assert.Equal([(byte)4, (byte)5], fromV4.Distinct().Order());
        Assert.Equal(3, fromV4.Count(id => id == 4)); // round-robin within the family
    }

    [Fact]
    public async Task Without_endpoints_by_family_a_listener_crosses_families()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var v6 = new TestBackend(Identify(6), "::1");
        await using var proxy = await ProxyHarness.StartAsync([v6.EndPoint]);

        Assert.Equal(6, await IdOfAsync(proxy.EndPoint, cts.Token));
    }

    [Fact]
    public async Task Udp_flows_reach_the_endpoints_of_their_own_family_with_client_ip_affinity()
    {
        await using var v4 = new UdpTestBackend("v4", address: "127.0.0.1");
        await using var v6a = new UdpTestBackend("v6a", address: "::1");
        await using var v6b = new UdpTestBackend("v6b", address: "::1");
        var key = new ServicePortKey("default", "dns", "dns", TransportProtocol.Udp);
        var port = ProxyHarness.Port(
            [v4.EndPoint, v6a.EndPoint, v6b.EndPoint], AffinityConfig.ForClientIP(60), key,
            new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0)) with { EndpointsByFamily = true };
        await using var server = new ServiceProxyServer(new InMemoryConfigProvider([port]), new ServiceProxyOptions());
        await server.StartAsync();
        var listening = server.GetStatus().Single().Listening;
        var v6Listener = listening.Single(e => e.AddressFamily == AddressFamily.InterNetworkV6);

        using var clients = new UdpTestClients(3, "::1");
        var first = await clients[0].AskWithRetriesAsync(v6Listener, "a");
        using var v4Client = new UdpTestClient();

        Assert.Equal("v4", await v4Client.AskWithRetriesAsync(listening.Single(e => e.AddressFamily == AddressFamily.InterNetwork), "b"));
        Assert.StartsWith("v6", first, StringComparison.Ordinal);
        for (var i = 1; i < 3; i++)
        {
            // Affinity is keyed by the client's whole address: every source port of ::1 sticks.
            Assert.Equal(first, await clients[i].AskWithRetriesAsync(v6Listener, "c"));
        }
    }

    private static ServiceProxyOptions Options(RelayEngine engine)
    {
        var options = new ServiceProxyOptions();
        options.Tcp.Engine = engine;
        return options;
    }

    private static Func<Socket, CancellationToken, Task> Identify(byte id) => async (s, ct) =>
    {
        await s.SendAsync(new[] { id }, SocketFlags.None, ct);
        await TestBackend.EchoAsync(s, ct);
    };

    private static async Task<byte> IdOfAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(target, cancellationToken);
        return (await Loopback.ReadExactlyAsync(socket, 1, cancellationToken))[0];
    }
}

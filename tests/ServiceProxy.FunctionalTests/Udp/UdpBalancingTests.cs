using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.FunctionalTests.Udp;

public sealed class UdpBalancingTests
{
    [Fact]
    public async Task Three_sessions_reach_three_distinct_endpoints()
    {
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        await using var c = new UdpTestBackend("c");
        await using var proxy = await UdpProxyHarness.StartAsync([a.EndPoint, b.EndPoint, c.EndPoint]);

        // All clients stay open: a closed client's port could be reused by the next one.
        using var clients = new UdpTestClients(3);
        var served = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            served.Add(await clients[i].AskAsync(proxy.EndPoint, $"hello{i}"));
        }

        Assert.Equal(["a", "b", "c"], served.Order());
    }

    [Fact]
    public async Task A_session_stays_on_its_endpoint()
    {
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        await using var proxy = await UdpProxyHarness.StartAsync([a.EndPoint, b.EndPoint]);
        using var client = new UdpTestClient();

        var first = await client.AskAsync(proxy.EndPoint, "q0");
        for (var i = 1; i < 20; i++)
        {
            Assert.Equal(first, await client.AskAsync(proxy.EndPoint, $"q{i}"));
        }

        Assert.Equal(1, proxy.Proxy.SessionCount);
        Assert.Equal(1, proxy.Proxy.Status.ActiveConnections);
    }

    [Fact]
    public async Task Round_robin_over_300_sessions_is_exactly_even()
    {
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        await using var c = new UdpTestBackend("c");
        await using var proxy = await UdpProxyHarness.StartAsync([a.EndPoint, b.EndPoint, c.EndPoint]);

        using var clients = new UdpTestClients(300);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 300; i++)
        {
            var id = await clients[i].AskAsync(proxy.EndPoint, $"s{i}");
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, n => Assert.Equal(100, n));
        Assert.Equal(300, proxy.Proxy.SessionCount);
    }

    [Fact]
    public async Task ClientIP_affinity_pins_every_source_port_of_an_address()
    {
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        await using var c = new UdpTestBackend("c");
        await using var proxy = await UdpProxyHarness.StartAsync(
            [a.EndPoint, b.EndPoint, c.EndPoint], AffinityConfig.ForClientIP(10800));

        using var clients = new UdpTestClients(10, "127.0.0.2");
        var fromTwo = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            fromTwo.Add(await clients[i].AskAsync(proxy.EndPoint, $"two{i}"));
        }

        using var other = new UdpTestClient("127.0.0.3");
        var fromThree = await other.AskAsync(proxy.EndPoint, "three");

        Assert.Single(fromTwo);
        Assert.NotEqual(fromTwo.Single(), fromThree); // round-robin moved on for the second address
        Assert.Equal(11, proxy.Proxy.SessionCount);
        Assert.Equal(2, proxy.Proxy.Balancer.AffinityCount);
    }

    [Fact]
    public async Task Replies_come_from_the_listen_address_the_client_sent_to()
    {
        await using var a = new UdpTestBackend("a");
        await using var proxy = await UdpProxyHarness.StartAsync(
            [a.EndPoint],
            listen: [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Parse("127.0.0.4"), 0)]);
        var listening = proxy.Proxy.Status.Listening;
        Assert.Equal(2, listening.Count);
        using var client = new UdpTestClient();

        foreach (var target in listening)
        {
            await client.SendAsync(target, "ping");
            var (payload, from) = await client.ReceiveAsync();
            Assert.Equal("ping|a"u8.ToArray(), payload);
            Assert.Equal(target, from);
        }

        // Same client (ip, port) on two listen sockets: two sessions.
        Assert.Equal(2, proxy.Proxy.SessionCount);
    }
}

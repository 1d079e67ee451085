using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Configuration;
using ServiceProxy.Udp;

namespace ServiceProxy.FunctionalTests.Udp;

public sealed class UdpSessionLifecycleTests
{
    [Fact]
    public async Task An_endpoint_that_goes_away_is_skipped_on_the_next_datagram()
    {
        var a = new UdpTestBackend("a");
        var b = new UdpTestBackend("b");
        await using var _a = a;
        await using var _b = b;

        // Affinity would pin the client to the dead endpoint; the ICMP error must reset it.
        await using var proxy = await UdpProxyHarness.StartAsync([a.EndPoint, b.EndPoint], AffinityConfig.ForClientIP(10800));
        using var client = new UdpTestClient();
        var first = await client.AskAsync(proxy.EndPoint, "one");
        var (gone, other) = first == "a" ? (a, b) : (b, a);

        await gone.DisposeAsync();
        await client.SendAsync(proxy.EndPoint, "into-the-void"); // draws ICMP port unreachable
        await UdpProxyHarness.WaitUntilAsync(() => proxy.Proxy.ActiveSessions == 0, "the session closed on ICMP unreachable");
        Assert.Equal(1, proxy.Measured("serviceproxy.udp.sessions.closed/unreachable"));

        Assert.Equal(other.Id, await client.AskAsync(proxy.EndPoint, "two"));
        Assert.Equal(other.Id, await client.AskAsync(proxy.EndPoint, "three"));
        Assert.Equal(1, proxy.Proxy.SessionCount);
    }

    [Fact]
    public async Task Removing_an_endpoint_closes_its_sessions_and_rebalances()
    {
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        await using var proxy = await UdpProxyHarness.StartAsync([a.EndPoint, b.EndPoint]);
        using var clients = new UdpTestClients(4);
        var served = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            served.Add(await clients[i].AskAsync(proxy.EndPoint, $"c{i}"));
        }

        Assert.Equal(2, served.Count(s => s == "a"));

        proxy.UpdateEndpoints([b.EndPoint]);

        Assert.Equal(2, proxy.Proxy.ActiveSessions);
        Assert.Equal(2, proxy.Measured("serviceproxy.udp.sessions.closed/endpoint_removed"));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b", await clients[i].AskAsync(proxy.EndPoint, $"again{i}"));
        }

        Assert.Equal(4, proxy.Proxy.ActiveSessions);
    }

    [Fact]
    public async Task Idle_sessions_expire_after_the_global_timeout()
    {
        var time = new FakeTimeProvider();
        await using var echo = new UdpTestBackend("a");
        var options = new ServiceProxyOptions { Udp = { IdleTimeout = TimeSpan.FromSeconds(30) } };
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: options, time: time);
        using var client = new UdpTestClient();
        await client.AskAsync(proxy.EndPoint, "hi");

        time.Advance(TimeSpan.FromSeconds(20));
        await client.AskAsync(proxy.EndPoint, "still-here"); // activity restarts the clock
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, proxy.Proxy.ActiveSessions);

        time.Advance(TimeSpan.FromSeconds(5)); // 34 s idle: past 30 s plus the 1/8 slack at most
        Assert.Equal(0, proxy.Proxy.ActiveSessions);
        Assert.Equal(0, proxy.Proxy.SessionCount);
        Assert.Equal(1, proxy.Measured("serviceproxy.udp.sessions.closed/idle"));

        Assert.Equal("a", await client.AskAsync(proxy.EndPoint, "back"));
        Assert.Equal(1, proxy.Proxy.ActiveSessions);
        Assert.Equal(2, echo.Sources.Count); // a new session socket

        // The sweep stopped when the table emptied; the new session started it again.
        time.Advance(TimeSpan.FromSeconds(34));
        Assert.Equal(0, proxy.Proxy.ActiveSessions);
        Assert.Equal(2, proxy.Measured("serviceproxy.udp.sessions.closed/idle"));
    }

    [Fact]
    public async Task A_service_idle_timeout_overrides_the_global_one()
    {
        var time = new FakeTimeProvider();
        await using var echo = new UdpTestBackend("a");
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], time: time);
        proxy.Proxy.Update(proxy.Proxy.Config with { UdpIdleTimeout = TimeSpan.FromSeconds(5) });
        using var client = new UdpTestClient();
        await client.AskAsync(proxy.EndPoint, "hi");

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, proxy.Proxy.ActiveSessions);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, proxy.Proxy.ActiveSessions);
    }

    [Fact]
    public async Task Stop_closes_the_listen_socket_and_every_session()
    {
        await using var echo = new UdpTestBackend("a");
        var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint]);
        var listen = proxy.EndPoint;
        using var clients = new UdpTestClients(20);
        for (var i = 0; i < 20; i++)
        {
            await clients[i].AskAsync(listen, $"c{i}");
        }

        var sessionSockets = echo.Sources.Keys.ToArray();
        Assert.Equal(20, sessionSockets.Length);

        await proxy.DisposeAsync();

        Assert.Equal(0, proxy.Proxy.ActiveSessions);
        Assert.Equal(0, proxy.Proxy.SessionCount);
        Assert.Empty(proxy.Proxy.Status.Listening);
        Assert.Equal(20, proxy.Measured("serviceproxy.udp.sessions.closed/stopped"));

        // Every port the proxy held is free again.
        foreach (var port in sessionSockets.Append(listen))
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(port);
        }
    }
}

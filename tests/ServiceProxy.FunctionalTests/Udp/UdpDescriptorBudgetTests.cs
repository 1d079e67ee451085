using System.Net.Sockets;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>
/// UDP sessions hold one socket each and draw on the descriptor budget TCP connections draw on
/// (<see cref="ConnectionBudget"/>): a flood of new source ports cannot take the descriptors the
/// rest of the process needs. Beyond the budget a new flow is dropped and counted; the sessions
/// already open keep working, and the budget comes back when they expire.
/// </summary>
public sealed class UdpDescriptorBudgetTests
{
    private static readonly TimeSpan NoAnswer = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Flows_beyond_the_budget_are_dropped_and_counted_while_open_sessions_keep_working()
    {
        const int MaxConnections = 4; // eight descriptors, UDP sessions at most half of them
        const int Sessions = MaxConnections;
        const int Beyond = 3; // fewer than Sessions: once the first sessions expire, all of them fit
        await using var echo = new UdpTestBackend("a");
        var options = new ServiceProxyOptions { MaxConnections = MaxConnections, Udp = { IdleTimeout = TimeSpan.FromSeconds(5) } };
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: options);
        using var clients = new UdpTestClients(Sessions + Beyond);

        for (var i = 0; i < Sessions; i++)
        {
            Assert.Equal("a", await clients[i].AskAsync(proxy.EndPoint, $"within{i}"));
        }

        for (var i = Sessions; i < Sessions + Beyond; i++)
        {
            await clients[i].SendAsync(proxy.EndPoint, $"beyond{i}");
        }

        await UdpProxyHarness.WaitUntilAsync(
            () => proxy.Measured("serviceproxy.udp.sessions.refused/process") == Beyond,
            $"{Beyond} flows were refused (refused: {proxy.Measured("serviceproxy.udp.sessions.refused/process")}, sessions: {proxy.Proxy.SessionCount})");
        Assert.Equal(Sessions, proxy.Proxy.SessionCount);
        Assert.Equal(Sessions, proxy.Proxy.ActiveSessions);
        for (var i = Sessions; i < Sessions + Beyond; i++)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => clients[i].ReceiveAsync(NoAnswer));
        }

        // The sessions already open keep working.
        for (var i = 0; i < Sessions; i++)
        {
            Assert.Equal("a", await clients[i].AskAsync(proxy.EndPoint, $"again{i}"));
        }

        // Once they expire their descriptors are given back, and new flows are served.
        for (var i = 0; i < 200 && proxy.Proxy.ActiveSessions > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, proxy.Proxy.ActiveSessions);
        for (var i = Sessions; i < Sessions + Beyond; i++)
        {
            // With retries: an expired session's socket is closed by its loop a moment after it leaves the table.
            Assert.Equal("a", await clients[i].AskWithRetriesAsync(proxy.EndPoint, $"later{i}"));
        }
    }

    [Fact]
    public async Task Udp_sessions_and_tcp_connections_share_one_budget()
    {
        var budget = new ConnectionBudget(3);
        await using var echo = new UdpTestBackend("a");
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], budget: budget);
        using var clients = new UdpTestClients(3);

        Assert.True(budget.TryAcquireConnection()); // a TCP connection holds two of the six descriptors
        Assert.True(budget.TryAcquireConnection());
        Assert.Equal("a", await clients[0].AskAsync(proxy.EndPoint, "one"));
        Assert.Equal("a", await clients[1].AskAsync(proxy.EndPoint, "two"));
        await clients[2].SendAsync(proxy.EndPoint, "three");
        await UdpProxyHarness.WaitUntilAsync(() => proxy.Measured("serviceproxy.udp.sessions.refused/process") == 1, "the third flow was refused");
        Assert.Equal(6, budget.Descriptors);
        Assert.False(budget.TryAcquireConnection());

        // A closed connection's descriptors serve the next flow.
        budget.ReleaseConnection();
        Assert.Equal("a", await clients[2].AskWithRetriesAsync(proxy.EndPoint, "three again"));
        Assert.Equal(3, proxy.Proxy.ActiveSessions);
    }

    [Fact]
    public async Task Stopping_the_port_gives_every_session_descriptor_back()
    {
        var budget = new ConnectionBudget(100);
        await using var echo = new UdpTestBackend("a");
        using var clients = new UdpTestClients(10);
        await using (var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], budget: budget))
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal("a", await clients[i].AskAsync(proxy.EndPoint, $"c{i}"));
            }

            Assert.Equal(10, budget.Descriptors);

            // An unreachable endpoint's session stays in the table as a marker, without its socket.
            await echo.DisposeAsync();
            await clients[0].SendAsync(proxy.EndPoint, "into-the-void");
            await UdpProxyHarness.WaitUntilAsync(() => proxy.Proxy.ActiveSessions == 9 && budget.Descriptors == 9, "the unreachable session gave its descriptor back");
            Assert.Equal(10, proxy.Proxy.SessionCount);
        }

        Assert.Equal(0, budget.Descriptors);
    }
}

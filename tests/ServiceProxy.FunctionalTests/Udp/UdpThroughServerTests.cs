using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>UDP service ports served by <see cref="ServiceProxyServer"/> next to TCP ones, and reconfigured through it.</summary>
public sealed class UdpThroughServerTests
{
    private static readonly ServicePortKey Dns = new("default", "dns", "dns", TransportProtocol.Udp);

    private static ServicePortConfig UdpPort(params UdpTestBackend[] backends) => new()
    {
        Key = Dns,
        ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, 0)],
        Endpoints = [.. backends.Select(b => b.EndPoint)],
    };

    [Fact]
    public async Task The_server_serves_a_udp_port_and_applies_endpoint_changes()
    {
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        var provider = new InMemoryConfigProvider([UdpPort(a)]);
        await using var server = new ServiceProxyServer(provider);
        await server.StartAsync();

        var status = Assert.Single(server.GetStatus());
        Assert.Empty(status.Errors);
        var listen = Assert.Single(status.Listening);
        using var first = new UdpTestClient();
        Assert.Equal("a", await first.AskAsync(listen, "q1"));

        // Same listeners, new endpoint set: the port is updated in place, so it keeps its bound port.
        provider.Update([UdpPort(b)]);
        Assert.True(await AnswersFromWithinAsync(listen, "b", TimeSpan.FromSeconds(10)));
        Assert.Equal([listen], server.GetStatus().Single().Listening);
        using var second = new UdpTestClient();
        Assert.Equal("b", await second.AskAsync(listen, "q2"));
    }

    private static async Task<bool> AnswersFromWithinAsync(IPEndPoint listen, string id, TimeSpan limit)
    {
        using var deadline = new CancellationTokenSource(limit);
        for (var attempt = 0; attempt < 100 && !deadline.IsCancellationRequested; attempt++)
        {
            using var client = new UdpTestClient(); // a new source port: a new session, balanced afresh
            try
            {
                if (await client.AskWithRetriesAsync(listen, "probe") == id)
                {
                    return true;
                }
            }
            catch (OperationCanceledException)
            {
                // no reply within the client's timeout: try again while time remains
            }

            await Task.Delay(50, CancellationToken.None);
        }

        return false;
    }
}

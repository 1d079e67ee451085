using System.Net;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Hosting;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>
/// <see cref="ListenerConfig.ClusterSources"/>: a listener group with endpoints of its own (a node's
/// Local external addresses) sends clients from those ranges to the port's endpoints instead.
/// </summary>
public sealed class TcpClusterSourcesTests
{
    [Theory]
    [InlineData(RelayEngine.Splice)]
    [InlineData(RelayEngine.Socket)]
    public async Task Clients_in_the_cluster_sources_reach_the_ports_endpoints_and_the_others_only_the_groups(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var localPod = TestBackend.Identified(1);
        await using var remotePod = TestBackend.Identified(2);
        var listen = new IPEndPoint(IPAddress.Loopback, 0);
        var port = ProxyHarness.Port([remotePod.EndPoint]) with
        {
            Listeners = [new ListenerConfig { ListenEndPoints = [listen], Endpoints = [localPod.EndPoint], ClusterSources = [IPNetwork.Parse("127.0.0.2/32")] }],
        };
        await using var server = new ServiceProxyServer(new InMemoryConfigProvider([port]), new ServiceProxyOptions { Tcp = { Engine = engine } });
        await server.StartAsync(cts.Token);
        var endPoint = server.GetStatus().Single().Listening[0];

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(2, await IdOfAsync(endPoint, IPAddress.Parse("127.0.0.2"), cts.Token));
            Assert.Equal(1, await IdOfAsync(endPoint, IPAddress.Parse("127.0.0.3"), cts.Token));
        }

        Assert.Equal((3, 3), (localPod.Accepted, remotePod.Accepted));
    }

    private static async Task<byte> IdOfAsync(IPEndPoint target, IPAddress source, CancellationToken cancellationToken)
    {
        using var socket = await Loopback.ConnectAsync(target, cancellationToken, source);
        return (await Loopback.ReadExactlyAsync(socket, 1, cancellationToken))[0];
    }
}

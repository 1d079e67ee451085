using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;
using ServiceProxy.Internal.Linux;
using ServiceProxy.Tcp;
using ServiceProxy.Udp;

namespace ServiceProxy.Tests.Hosting;

/// <summary>TCP and UDP ports answer the same <see cref="IServicePortProxy.Update"/> calls the same way.</summary>
public sealed class ServicePortProxyUpdateTests
{
    public static TheoryData<TransportProtocol> Protocols => [TransportProtocol.Tcp, TransportProtocol.Udp];

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task New_endpoints_are_applied_and_new_listen_addresses_are_refused(TransportProtocol protocol)
    {
        using var loops = new EventLoopGroup(new EventLoopOptions());
        using var metrics = new ServiceProxyMetrics();
        var options = new ServiceProxyOptions();
        var budget = new ConnectionBudget(100);
        IServicePortProxyFactory factory = protocol == TransportProtocol.Tcp
            ? new TcpServicePortProxyFactory(options, loops, budget, NullLoggerFactory.Instance, metrics, TimeProvider.System)
            : new UdpServicePortProxyFactory(options, loops, budget, metrics, NullLoggerFactory.Instance, TimeProvider.System);
        var config = new ServicePortConfig
        {
            Key = new ServicePortKey("default", "svc", "p", protocol),
            ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            Endpoints = [IPEndPoint.Parse("127.0.0.1:1")],
        };
        await using var proxy = factory.Create(config, new ServiceProxy.Balancing.PortBalancers(options.Balancing, TimeProvider.System));

        var moreEndpoints = config with { Endpoints = [IPEndPoint.Parse("127.0.0.1:1"), IPEndPoint.Parse("127.0.0.1:2")] };
        proxy.Update(moreEndpoints);
        Assert.Equal(moreEndpoints, proxy.Config);

        var elsewhere = moreEndpoints with { ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, 1)] };
        Assert.Throws<ArgumentException>(() => proxy.Update(elsewhere));
        Assert.Equal(moreEndpoints, proxy.Config);
    }
}

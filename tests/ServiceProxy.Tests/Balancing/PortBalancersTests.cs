using System.Net;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Balancing;

public sealed class PortBalancersTests
{
    private static readonly IPEndPoint V4Listen = IPEndPoint.Parse("127.100.0.10:80");
    private static readonly IPEndPoint V6Listen = IPEndPoint.Parse("[fd00:10:96::10]:80");

    private static ServicePortConfig Config(bool byFamily) => new()
    {
        Key = new ServicePortKey("default", "web", "", TransportProtocol.Tcp),
        ListenEndPoints = [V4Listen, V6Listen],
        Endpoints = [IPEndPoint.Parse("10.0.0.1:80"), IPEndPoint.Parse("[fd00::1]:80"), IPEndPoint.Parse("[::ffff:10.0.0.2]:80")],
        EndpointsByFamily = byFamily,
    };

    [Fact]
    public void By_family_each_listener_gets_the_balancer_of_its_family_holding_only_that_familys_endpoints()
    {
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        var config = Config(byFamily: true);
        balancers.Update(config, outlierDetection: null);

        var v4 = balancers.For(V4Listen, config);
        var v6 = balancers.For(V6Listen, config);

        Assert.NotSame(v4, v6);
        Assert.Equal(["10.0.0.1:80", "[::ffff:10.0.0.2]:80"], v4.Endpoints.Select(e => e.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["[fd00::1]:80"], v6.Endpoints.Select(e => e.ToString()));
        Assert.True(balancers.Contains(IPEndPoint.Parse("[fd00::1]:80")));
        Assert.Equal(2, balancers.All.Count());
    }

    [Fact]
    public void Without_it_every_listener_shares_one_balancer_of_every_endpoint()
    {
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        var config = Config(byFamily: false);
        balancers.Update(config, outlierDetection: null);

        Assert.Same(balancers.For(V4Listen, config), balancers.For(V6Listen, config));
        Assert.Equal(3, balancers.Primary.Endpoints.Length);
        Assert.Null(balancers.IPv6);
    }

    [Fact]
    public void Switching_it_is_a_listener_change()
    {
        Assert.False(Config(byFamily: true).HasSameListeners(Config(byFamily: false)));
        Assert.NotEqual(Config(byFamily: true), Config(byFamily: false));
    }
}

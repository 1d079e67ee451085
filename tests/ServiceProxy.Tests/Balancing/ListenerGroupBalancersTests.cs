using System.Net;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Balancing;

public sealed class ListenerGroupBalancersTests
{
    private static readonly IPEndPoint ClusterListen = IPEndPoint.Parse("127.100.0.10:80");
    private static readonly IPEndPoint NodeListen = IPEndPoint.Parse("127.0.0.1:30080");
    private static readonly IPEndPoint NodeListenV6 = IPEndPoint.Parse("[::1]:30080");
    private static readonly IPEndPoint Local = IPEndPoint.Parse("10.0.0.1:80");
    private static readonly IPEndPoint Remote = IPEndPoint.Parse("10.0.0.2:80");

    private static ServicePortConfig Config(ListenerConfig group, bool byFamily = false) => new()
    {
        Key = new ServicePortKey("default", "web", "", TransportProtocol.Tcp),
        ListenEndPoints = [ClusterListen, NodeListen, NodeListenV6],
        Endpoints = [Local, Remote, IPEndPoint.Parse("[fd00::1]:80")],
        EndpointsByFamily = byFamily,
        Listeners = [group],
    };

    [Fact]
    public void A_group_with_its_own_endpoints_gets_a_balancer_of_only_those_and_the_rest_keep_the_ports()
    {
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        var config = Config(new ListenerConfig { ListenEndPoints = [NodeListen, NodeListenV6], Endpoints = [Local] });
        balancers.Update(config, outlierDetection: null);

        var cluster = balancers.For(ClusterListen, config);
        var node = balancers.For(NodeListen, config);

        Assert.Same(balancers.Primary, cluster);
        Assert.Equal(3, cluster.Endpoints.Length);
        Assert.Equal([Local], node.Endpoints.AsEnumerable());
        Assert.Same(node, balancers.For(NodeListenV6, config));
        Assert.Equal(Local, node.Pick(IPAddress.Loopback));
    }

    [Fact]
    public void An_empty_endpoint_list_gives_the_group_no_endpoints_and_an_update_fills_it_without_a_new_balancer()
    {
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        var empty = Config(new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [] });
        balancers.Update(empty, outlierDetection: null);
        var node = balancers.For(NodeListen, empty);
        Assert.Null(node.Pick(IPAddress.Loopback));

        var filled = Config(new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Remote] });
        Assert.True(filled.HasSameListeners(empty));
        Assert.NotEqual(filled, empty);
        balancers.Update(filled, outlierDetection: null);
        Assert.Equal(Remote, node.Pick(IPAddress.Loopback));
        Assert.True(balancers.Contains(Remote));
    }

    [Fact]
    public void A_group_without_endpoints_of_its_own_shares_the_ports_balancer()
    {
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        var config = Config(new ListenerConfig { ListenEndPoints = [NodeListen], AllowedSources = [IPNetwork.Parse("10.0.0.0/8")] });
        balancers.Update(config, outlierDetection: null);

        Assert.Same(balancers.Primary, balancers.For(NodeListen, config));
    }

    [Fact]
    public void By_family_a_groups_endpoints_are_split_by_family_too()
    {
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        var config = Config(new ListenerConfig { ListenEndPoints = [NodeListen, NodeListenV6], Endpoints = [Local, IPEndPoint.Parse("[fd00::1]:80")] }, byFamily: true);
        balancers.Update(config, outlierDetection: null);

        Assert.Equal([Local], balancers.For(NodeListen, config).Endpoints.AsEnumerable());
        Assert.Equal([IPEndPoint.Parse("[fd00::1]:80")], balancers.For(NodeListenV6, config).Endpoints.AsEnumerable());
    }

    [Fact]
    public void Changing_a_groups_addresses_sources_or_whether_it_has_endpoints_is_a_listener_change()
    {
        var baseline = Config(new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Local] });
        Assert.False(baseline.HasSameListeners(Config(new ListenerConfig { ListenEndPoints = [NodeListen] })));
        Assert.False(baseline.HasSameListeners(Config(new ListenerConfig { ListenEndPoints = [NodeListenV6], Endpoints = [Local] })));
        Assert.False(baseline.HasSameListeners(Config(new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Local], AllowedSources = [IPNetwork.Parse("10.0.0.0/8")] })));
        Assert.False(baseline.HasSameListeners(baseline with { Listeners = [] }));
        Assert.Equal(baseline, Config(new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Local] }));
    }

    [Fact]
    public void The_first_group_naming_an_address_wins()
    {
        var config = Config(new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Local] }) with
        {
            Listeners = [new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Local] }, new ListenerConfig { ListenEndPoints = [NodeListen], Endpoints = [Remote] }],
        };
        var balancers = new PortBalancers(new BalancerOptions(), TimeProvider.System);
        balancers.Update(config, outlierDetection: null);

        Assert.Equal([Local], balancers.For(NodeListen, config).Endpoints.AsEnumerable());
        Assert.Same(config.Listeners[0], config.ListenerFor(NodeListen));
        Assert.Null(config.ListenerFor(ClusterListen));
    }
}

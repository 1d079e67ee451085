using System.Net;
using System.Net.Sockets;
using ServiceProxy.Configuration;

namespace ServiceProxy.Balancing;

/// <summary>
/// The balancers of one service port. Usually one, shared by every listener. With
/// <see cref="ServicePortConfig.EndpointsByFamily"/>, one per address family, each holding only
/// that family's endpoints (an IPv4-mapped IPv6 endpoint counts as IPv4), as kube-proxy runs one
/// proxier per family: each listener is given its family's balancer when it starts, so a
/// connection costs no family check. Owned by the server, so affinity and health outlive a
/// listener restart.
/// </summary>
internal sealed class PortBalancers
{
    private readonly Func<IEndpointBalancer> _create;
    private Func<IOutlierSink?, IOutlierSink>? _observeOutliers;
    private IEndpointBalancer? _ipv6;

    public PortBalancers(IEndpointBalancer primary, Func<IEndpointBalancer> create)
    {
        Primary = primary;
        _create = create;
    }

    /// <summary>Round-robin balancers with <paramref name="options"/>.</summary>
    public PortBalancers(BalancerOptions options, TimeProvider time)
        : this(new RoundRobinBalancer(options, time), () => new RoundRobinBalancer(options, time))
    {
    }

    /// <summary>Every listener's balancer, or the IPv4 listeners' one when endpoints are split by family.</summary>
    public IEndpointBalancer Primary { get; }

    /// <summary>The IPv6 listeners' balancer once endpoints have been split by family; null before.</summary>
    public IEndpointBalancer? IPv6 => _ipv6;

    /// <summary>Each balancer this port has.</summary>
    public IEnumerable<IEndpointBalancer> All => _ipv6 is null ? [Primary] : [Primary, _ipv6];

    /// <summary>The balancer a listener on <paramref name="listen"/> picks from under <paramref name="config"/>.</summary>
    public IEndpointBalancer For(IPEndPoint listen, ServicePortConfig config) =>
        config.EndpointsByFamily && IsIPv6(listen) ? IPv6OrCreate() : Primary;

    /// <summary>
    /// Routes every balancer's ejections and returns, the IPv6 one's too once it exists, through
    /// <paramref name="wrap"/> (given the sink it had). Called once, when the port is created.
    /// </summary>
    public void ObserveOutliers(Func<IOutlierSink?, IOutlierSink> wrap)
    {
        _observeOutliers = wrap;
        foreach (var balancer in All)
        {
            balancer.Outliers.Sink = wrap(balancer.Outliers.Sink);
        }
    }

    /// <summary>Applies <paramref name="config"/>'s endpoints (split by family when it says so), affinity and passive health.</summary>
    public void Update(ServicePortConfig config, OutlierDetectionConfig? outlierDetection)
    {
        if (!config.EndpointsByFamily)
        {
            Primary.Update(config.Endpoints, config.Affinity, outlierDetection);
            _ipv6?.Update([], config.Affinity, outlierDetection);
            return;
        }

        Primary.Update([.. config.Endpoints.Where(e => !IsIPv6(e))], config.Affinity, outlierDetection);
        IPv6OrCreate().Update([.. config.Endpoints.Where(IsIPv6)], config.Affinity, outlierDetection);
    }

    /// <summary>Whether <paramref name="endpoint"/> is among the current endpoints of any family.</summary>
    public bool Contains(IPEndPoint endpoint) => Primary.Endpoints.Contains(endpoint) || _ipv6?.Endpoints.Contains(endpoint) == true;

    /// <summary>Drops expired affinity entries of every family; returns how many.</summary>
    public int SweepExpired() => Primary.SweepExpired() + (_ipv6?.SweepExpired() ?? 0);

    /// <summary>Ends every ejection: the port is gone.</summary>
    public void ClearOutliers()
    {
        foreach (var balancer in All)
        {
            balancer.Outliers.Clear();
        }
    }

    private IEndpointBalancer IPv6OrCreate()
    {
        if (_ipv6 is null)
        {
            var created = _create();
            if (_observeOutliers is not null)
            {
                created.Outliers.Sink = _observeOutliers(created.Outliers.Sink);
            }

            _ipv6 = created;
        }

        return _ipv6;
    }

    private static bool IsIPv6(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 && !endPoint.Address.IsIPv4MappedToIPv6;
}

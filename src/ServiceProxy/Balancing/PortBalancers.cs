using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.Configuration;

namespace ServiceProxy.Balancing;

/// <summary>
/// The balancers of one service port. Usually one, shared by every listener. With
/// <see cref="ServicePortConfig.EndpointsByFamily"/>, one per address family, each holding only
/// that family's endpoints (an IPv4-mapped IPv6 endpoint counts as IPv4), as kube-proxy runs one
/// proxier per family; and one more (per family) for each group of
/// <see cref="ServicePortConfig.Listeners"/> with endpoints of its own. Each listener is given its
/// balancer when it starts, so a connection costs no lookup. Owned by the server, so affinity and
/// health outlive a listener restart.
/// </summary>
internal sealed class PortBalancers
{
    private readonly Func<IEndpointBalancer> _create;
    private Func<IOutlierSink?, IOutlierSink>? _observeOutliers;
    private IEndpointBalancer? _ipv6;
    private readonly Dictionary<(int Group, bool IPv6), IEndpointBalancer> _groups = [];

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
    public IEnumerable<IEndpointBalancer> All => (_ipv6 is null ? [Primary] : new[] { Primary, _ipv6 }).Concat(_groups.Values);

    /// <summary>The balancer a listener on <paramref name="listen"/> picks from under <paramref name="config"/>.</summary>
    public IEndpointBalancer For(IPEndPoint listen, ServicePortConfig config)
    {
        var group = GroupOf(listen, config);
        return group >= 0 ? GroupOrCreate(group, config.EndpointsByFamily && IsIPv6(listen)) : ForPort(listen, config);
    }

    /// <summary>
    /// The balancer of the port's own endpoints for a listener on <paramref name="listen"/>, whatever
    /// group it is in: where its <see cref="ListenerConfig.ClusterSources"/> clients go.
    /// </summary>
    public IEndpointBalancer ForPort(IPEndPoint listen, ServicePortConfig config) =>
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
        foreach (var ((group, ipv6), balancer) in _groups)
        {
            // A group that is gone (or no longer has endpoints of its own) keeps its balancer, empty,
            // until the listeners that hold it restart.
            if (group >= config.Listeners.Length || config.Listeners[group].Endpoints is null || (ipv6 && !config.EndpointsByFamily))
            {
                balancer.Update([], config.Affinity, outlierDetection);
            }
        }

        for (var group = 0; group < config.Listeners.Length; group++)
        {
            if (config.Listeners[group].Endpoints is { } endpoints)
            {
                UpdateSplit(endpoints, config, outlierDetection, GroupOrCreate(group, false), config.EndpointsByFamily ? GroupOrCreate(group, true) : null);
            }
        }

        UpdateSplit(config.Endpoints, config, outlierDetection, Primary, config.EndpointsByFamily ? IPv6OrCreate() : null);
        if (!config.EndpointsByFamily)
        {
            _ipv6?.Update([], config.Affinity, outlierDetection);
        }
    }

    /// <summary>Whether <paramref name="endpoint"/> is among the current endpoints of any family or group.</summary>
    public bool Contains(IPEndPoint endpoint) => All.Any(b => b.Endpoints.Contains(endpoint));

    /// <summary>Drops expired affinity entries of every family and group; returns how many.</summary>
    public int SweepExpired() => All.Sum(b => b.SweepExpired());

    /// <summary>The index of the first group of <paramref name="config"/> covering <paramref name="listen"/> with endpoints of its own, or -1.</summary>
    private static int GroupOf(IPEndPoint listen, ServicePortConfig config)
    {
        for (var i = 0; i < config.Listeners.Length; i++)
        {
            if (config.Listeners[i].ListenEndPoints.Contains(listen))
            {
                return config.Listeners[i].Endpoints is null ? -1 : i;
            }
        }

        return -1;
    }

    private static void UpdateSplit(
        ImmutableArray<IPEndPoint> endpoints, ServicePortConfig config, OutlierDetectionConfig? outlierDetection, IEndpointBalancer ipv4OrAll, IEndpointBalancer? ipv6)
    {
        if (ipv6 is null)
        {
            ipv4OrAll.Update(endpoints, config.Affinity, outlierDetection);
            return;
        }

        ipv4OrAll.Update([.. endpoints.Where(e => !IsIPv6(e))], config.Affinity, outlierDetection);
        ipv6.Update([.. endpoints.Where(IsIPv6)], config.Affinity, outlierDetection);
    }

    private IEndpointBalancer GroupOrCreate(int group, bool ipv6)
    {
        if (!_groups.TryGetValue((group, ipv6), out var balancer))
        {
            balancer = Observed(_create());
            _groups[(group, ipv6)] = balancer;
        }

        return balancer;
    }

    private IEndpointBalancer Observed(IEndpointBalancer created)
    {
        if (_observeOutliers is not null)
        {
            created.Outliers.Sink = _observeOutliers(created.Outliers.Sink);
        }

        return created;
    }

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
        return _ipv6 ??= Observed(_create());
    }

    private static bool IsIPv6(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 && !endPoint.Address.IsIPv4MappedToIPv6;
}

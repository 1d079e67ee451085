using System.Collections.Immutable;
using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Balancing;

/// <summary>
/// Round-robin with optional ClientIP affinity, as kube-proxy's userspace roundrobin.go, plus a
/// bounded LRU affinity table and live TTL changes. Endpoints the <see cref="OutlierDetector"/> has
/// ejected are skipped, unless every endpoint is (then all are used, as Envoy's panic mode).
/// Round-robin alone takes no lock; affinity takes this port's lock briefly (never across an await).
/// </summary>
internal sealed class RoundRobinBalancer : IEndpointBalancer
{
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly AffinityTable _affinity;
    private readonly OutlierDetector _outliers;
    private volatile State _state;
    private int _next = -1;

    public RoundRobinBalancer(BalancerOptions options, TimeProvider? time = null, Random? random = null)
    {
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _affinity = new AffinityTable(options.MaxAffinityEntries, _time);
        _outliers = new OutlierDetector(_time);
        _state = new State([], AffinityConfig.None);
    }

    public ImmutableArray<IPEndPoint> Endpoints => _state.Endpoints;

    public int AffinityCount => _affinity.Count;

    public OutlierDetector Outliers => _outliers;

    public IPEndPoint? Pick(IPAddress client, bool resetAffinity = false, IPEndPoint? avoid = null)
    {
        var state = _state;
        var endpoints = state.Endpoints;
        if (endpoints.IsEmpty)
        {
            return null;
        }

        var ejected = _outliers.Ejected;
        if (!state.Affinity.ClientIP)
        {
            return NextRoundRobin(endpoints, avoid, ejected);
        }

        if (!resetAffinity && _affinity.TryGet(client, state.Affinity.Timeout, out var pinned)
            && !pinned.Equals(avoid) && (ejected.Count == 0 || !ejected.Contains(pinned)))
        {
            return pinned;
        }

        var picked = NextRoundRobin(endpoints, avoid, ejected);
        _affinity.Set(client, picked);
        return picked;
    }

    public void Update(ImmutableArray<IPEndPoint> endpoints, AffinityConfig affinity, OutlierDetectionConfig? outlierDetection = null)
    {
        // Health first: a new endpoint is never picked before the detector knows it.
        _outliers.Update(endpoints, outlierDetection ?? OutlierDetectionConfig.Disabled);
        var old = _state;
        var changedSet = !SameSet(old.Endpoints, endpoints);
        var newEndpoints = changedSet ? Shuffle(endpoints) : old.Endpoints;
        _state = new State(newEndpoints, affinity);

        if (changedSet)
        {
            Interlocked.Exchange(ref _next, -1);
        }

        if (!affinity.ClientIP)
        {
            _affinity.Clear();
        }
        else if (changedSet)
        {
            var alive = newEndpoints.ToHashSet();
            _affinity.RemoveWhere(ep => !alive.Contains(ep));
        }
    }

    public void ReportConnect(IPEndPoint endpoint, bool succeeded)
    {
        if (succeeded)
        {
            _outliers.ReportSuccess(endpoint);
        }
        else
        {
            _outliers.ReportFailure(endpoint);
        }
    }

    public int SweepExpired()
    {
        var state = _state;
        return state.Affinity.ClientIP ? _affinity.SweepExpired(state.Affinity.Timeout) : 0;
    }

    private IPEndPoint NextRoundRobin(ImmutableArray<IPEndPoint> endpoints, IPEndPoint? avoid, IReadOnlySet<IPEndPoint> ejected)
    {
        // None or every one ejected (then all are used, as Envoy's panic mode): the plain pick.
        var picked = Next(endpoints);
        if (ejected.Count == 0 || ejected.Count >= endpoints.Length)
        {
            if (avoid is not null && endpoints.Length > 1 && picked.Equals(avoid))
            {
                picked = Next(endpoints);
            }

            return picked;
        }

        // Some are ejected: walk the rotation to the next one in it, at most once round; when only
        // the avoided endpoint is left, it is taken.
        IPEndPoint? onlyAvoided = null;
        for (var i = 1; ; i++)
        {
            if (!ejected.Contains(picked))
            {
                if (avoid is null || !picked.Equals(avoid))
                {
                    return picked;
                }

                onlyAvoided = picked;
            }

            if (i == endpoints.Length)
            {
                return onlyAvoided ?? picked;
            }

            picked = Next(endpoints);
        }
    }

    private IPEndPoint Next(ImmutableArray<IPEndPoint> endpoints) =>
        endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Length)];

    private ImmutableArray<IPEndPoint> Shuffle(ImmutableArray<IPEndPoint> endpoints)
    {
        var array = endpoints.ToArray();
        _random.Shuffle(array);
        return ImmutableArray.Create(array);
    }

    private static bool SameSet(ImmutableArray<IPEndPoint> a, ImmutableArray<IPEndPoint> b) =>
        a.Length == b.Length && a.ToHashSet().SetEquals(b);

    private sealed record State(ImmutableArray<IPEndPoint> Endpoints, AffinityConfig Affinity);
}

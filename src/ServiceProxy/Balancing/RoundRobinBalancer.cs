using System.Collections.Immutable;
using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Balancing;

/// <summary>
/// Round-robin with optional ClientIP affinity, as kube-proxy's userspace roundrobin.go, plus a
/// bounded LRU affinity table and live TTL changes. Round-robin alone takes no lock; affinity
/// takes this port's lock briefly (never across an await).
/// </summary>
internal sealed class RoundRobinBalancer : IEndpointBalancer
{
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly AffinityTable _affinity;
    private volatile State _state;
    private int _next = -1;

    public RoundRobinBalancer(BalancerOptions options, TimeProvider? time = null, Random? random = null)
    {
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _affinity = new AffinityTable(options.MaxAffinityEntries, _time);
        _state = new State([], AffinityConfig.None);
    }

    public ImmutableArray<IPEndPoint> Endpoints => _state.Endpoints;

    public int AffinityCount => _affinity.Count;

    public IPEndPoint? Pick(IPAddress client, bool resetAffinity = false, IPEndPoint? avoid = null)
    {
        var state = _state;
        var endpoints = state.Endpoints;
        if (endpoints.IsEmpty)
        {
            return null;
        }

        if (!state.Affinity.ClientIP)
        {
            return NextRoundRobin(endpoints, avoid);
        }

        if (!resetAffinity && _affinity.TryGet(client, state.Affinity.Timeout, out var pinned)
            && !pinned.Equals(avoid))
        {
            return pinned;
        }

        var picked = NextRoundRobin(endpoints, avoid);
        _affinity.Set(client, picked);
        return picked;
    }

    public void Update(ImmutableArray<IPEndPoint> endpoints, AffinityConfig affinity)
    {
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

    public int SweepExpired()
    {
        var state = _state;
        return state.Affinity.ClientIP ? _affinity.SweepExpired(state.Affinity.Timeout) : 0;
    }

    private IPEndPoint NextRoundRobin(ImmutableArray<IPEndPoint> endpoints, IPEndPoint? avoid)
    {
        var picked = endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Length)];
        if (avoid is not null && endpoints.Length > 1 && picked.Equals(avoid))
        {
            picked = endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Length)];
        }

        return picked;
    }

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

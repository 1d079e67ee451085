using System.Collections.Immutable;
using System.Net;
using BenchmarkDotNet.Attributes;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Benchmarks;

/// <summary>The cost of one balancer pick: round-robin, ClientIP hit and miss, and a 100 000-entry table.</summary>
[MemoryDiagnoser]
public class BalancerBenchmarks
{
    private const int TableSize = 100_000;

    private static readonly ImmutableArray<IPEndPoint> Endpoints =
        [.. Enumerable.Range(1, 5).Select(i => new IPEndPoint(new IPAddress([10, 244, 1, (byte)i]), 80))];

    private RoundRobinBalancer _roundRobin = null!;
    private RoundRobinBalancer _affinity = null!;
    private RoundRobinBalancer _fullTable = null!;
    private RoundRobinBalancer _missTable = null!;
    private IPAddress[] _clients = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _clients = [.. Enumerable.Range(0, TableSize).Select(i => new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]))];
        _roundRobin = Create(AffinityConfig.None, 65_536);
        _affinity = Create(AffinityConfig.ForClientIP(10800), 65_536);
        _affinity.Pick(_clients[0]);
        _fullTable = Create(AffinityConfig.ForClientIP(10800), TableSize);
        foreach (var client in _clients)
        {
            _fullTable.Pick(client);
        }

        // A table smaller than the client set: every pick misses and evicts the least recently used.
        _missTable = Create(AffinityConfig.ForClientIP(10800), TableSize / 2);
    }

    [Benchmark(Baseline = true)]
    public IPEndPoint? RoundRobin() => _roundRobin.Pick(_clients[0]);

    [Benchmark]
    public IPEndPoint? ClientIPHit() => _affinity.Pick(_clients[0]);

    [Benchmark]
    public IPEndPoint? ClientIPHitIn100kTable() => _fullTable.Pick(_clients[NextIndex()]);

    [Benchmark]
    public IPEndPoint? ClientIPMissWithEviction() => _missTable.Pick(_clients[NextIndex()]);

    private int NextIndex()
    {
        var i = _next + 1;
        _next = i == TableSize ? 0 : i;
        return _next;
    }

    private static RoundRobinBalancer Create(AffinityConfig affinity, int maxEntries)
    {
        var balancer = new RoundRobinBalancer(new BalancerOptions { MaxAffinityEntries = maxEntries });
        balancer.Update(Endpoints, affinity);
        return balancer;
    }
}

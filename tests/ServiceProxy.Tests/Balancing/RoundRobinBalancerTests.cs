using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Balancing;

public sealed class RoundRobinBalancerTests
{
    private static readonly ImmutableArray<IPEndPoint> Three =
        [IPEndPoint.Parse("10.0.0.1:80"), IPEndPoint.Parse("10.0.0.2:80"), IPEndPoint.Parse("10.0.0.3:80")];

    private readonly FakeTimeProvider _time = new();

    private RoundRobinBalancer Create(int maxEntries = 65_536) =>
        new(new BalancerOptions { MaxAffinityEntries = maxEntries }, _time, new Random(42));

    private static IPAddress Client(int n) => new([192, 168, (byte)(n >> 8), (byte)n]);

    [Fact]
    public void No_endpoints_gives_null()
    {
        Assert.Null(Create().Pick(Client(1)));
    }

    [Fact]
    public void Round_robin_is_exactly_even()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.None);

        var counts = Enumerable.Range(0, 300).Select(i => balancer.Pick(Client(i))!).CountBy(e => e).ToDictionary();

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.Equal(100, c));
    }

    [Fact]
    public void Same_set_in_another_order_keeps_the_rotation()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.None);
        var order = balancer.Endpoints;

        balancer.Update([.. Three.Reverse()], AffinityConfig.None);

        Assert.Equal(order, balancer.Endpoints);
    }

    [Fact]
    public void ClientIP_sticks_and_slides()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(60));
        var first = balancer.Pick(Client(1));

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(50)); // each use refreshes the 60 s window
            Assert.Equal(first, balancer.Pick(Client(1)));
        }
    }

    [Fact]
    public void ClientIP_expiry_rebalances()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(60));
        var first = balancer.Pick(Client(1));

        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.NotEqual(first, balancer.Pick(Client(1)));
    }

    [Fact]
    public void Ttl_change_applies_to_existing_entries()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(3600));
        var first = balancer.Pick(Client(1));
        _time.Advance(TimeSpan.FromSeconds(20));

        balancer.Update(Three, AffinityConfig.ForClientIP(10));

        Assert.NotEqual(first, balancer.Pick(Client(1)));
    }

    [Fact]
    public void Removing_an_endpoint_drops_only_its_entries()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(3600));
        var pins = Enumerable.Range(0, 30).ToDictionary(i => i, i => balancer.Pick(Client(i))!);
        var gone = pins[0];

        balancer.Update([.. Three.Where(e => !e.Equals(gone))], AffinityConfig.ForClientIP(3600));

        Assert.Equal(20, balancer.AffinityCount);
        foreach (var (client, endpoint) in pins.Where(p => !p.Value.Equals(gone)))
        {
            Assert.Equal(endpoint, balancer.Pick(Client(client)));
        }
    }

    [Fact]
    public void Reset_repins_and_avoid_skips_the_failed_endpoint()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(3600));
        var first = balancer.Pick(Client(1))!;

        var second = balancer.Pick(Client(1), resetAffinity: true, avoid: first);

        Assert.NotEqual(first, second);
        Assert.Equal(second, balancer.Pick(Client(1)));
    }

    [Fact]
    public void Table_is_bounded_and_evicts_least_recently_used()
    {
        var balancer = Create(maxEntries: 100);
        balancer.Update(Three, AffinityConfig.ForClientIP(3600));
        var keep = balancer.Pick(Client(0));

        for (var i = 1; i < 1000; i++)
        {
            balancer.Pick(Client(i));
            balancer.Pick(Client(0)); // client 0 stays the most recently used
        }

        Assert.Equal(100, balancer.AffinityCount);
        Assert.Equal(keep, balancer.Pick(Client(0)));
    }

    [Fact]
    public void Sweep_drops_expired_entries()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(60));
        for (var i = 0; i < 10; i++)
        {
            balancer.Pick(Client(i));
        }

        _time.Advance(TimeSpan.FromSeconds(30));
        balancer.Pick(Client(0));
        _time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(9, balancer.SweepExpired());
        Assert.Equal(1, balancer.AffinityCount);
    }

    [Fact]
    public void Turning_affinity_off_clears_the_table()
    {
        var balancer = Create();
        balancer.Update(Three, AffinityConfig.ForClientIP(60));
        balancer.Pick(Client(1));

        balancer.Update(Three, AffinityConfig.None);

        Assert.Equal(0, balancer.AffinityCount);
    }
}

using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Balancing;

/// <summary>The ejection state machine of one port (<see cref="OutlierDetector"/>) as the balancer uses it.</summary>
public sealed class OutlierDetectionTests
{
    private static readonly IPEndPoint A = IPEndPoint.Parse("10.0.0.1:80");
    private static readonly IPEndPoint B = IPEndPoint.Parse("10.0.0.2:80");
    private static readonly IPEndPoint C = IPEndPoint.Parse("10.0.0.3:80");
    private static readonly IPEndPoint D = IPEndPoint.Parse("10.0.0.4:80");
    private static readonly ImmutableArray<IPEndPoint> Three = [A, B, C];
    private static readonly IPAddress Client = IPAddress.Parse("192.168.0.1");

    private readonly FakeTimeProvider _time = new();
    private readonly RecordingSink _sink = new();

    private RoundRobinBalancer Create(ImmutableArray<IPEndPoint> endpoints, OutlierDetectionConfig? config = null, AffinityConfig? affinity = null)
    {
        var balancer = new RoundRobinBalancer(new BalancerOptions(), _time, new Random(7));
        balancer.Outliers.Sink = _sink;
        balancer.Update(endpoints, affinity ?? AffinityConfig.None, config ?? OutlierDetectionConfig.Default);
        return balancer;
    }

    private static void Fail(IEndpointBalancer balancer, IPEndPoint endpoint, int times)
    {
        for (var i = 0; i < times; i++)
        {
            balancer.ReportConnect(endpoint, succeeded: false);
        }
    }

    private static HashSet<IPEndPoint> Picks(IEndpointBalancer balancer, int count = 30) =>
        [.. Enumerable.Range(0, count).Select(_ => balancer.Pick(Client)!)];

    [Fact]
    public void The_defaults_are_on_5_failures_30_s_and_half_the_endpoints()
    {
        var defaults = OutlierDetectionConfig.Default;

        Assert.True(defaults.Enabled);
        Assert.Equal((5, TimeSpan.FromSeconds(30), 50), (defaults.ConsecutiveFailures, defaults.BaseEjectionTime, defaults.MaxEjectionPercent));
        Assert.Equal(defaults, new ServicePortConfig { Key = default }.OutlierDetection);
        Assert.False(OutlierDetectionConfig.Disabled.Enabled);
    }

    [Fact]
    public void The_threshold_of_failures_in_a_row_ejects_the_endpoint_from_the_rotation()
    {
        var balancer = Create(Three);

        Fail(balancer, B, 4);
        Assert.Empty(balancer.Outliers.Ejected);
        Assert.Contains(B, Picks(balancer));

        Fail(balancer, B, 1);

        Assert.Equal(new[] { B }, balancer.Outliers.Ejected);
        Assert.Equal(new[] { A, C }, Picks(balancer).Order(EndpointOrder.Instance));
        var ejection = Assert.Single(_sink.Ejections);
        Assert.Equal((B, 5, TimeSpan.FromSeconds(30), 1), ejection);
    }

    [Fact]
    public void The_rotation_stays_even_over_the_endpoints_left()
    {
        var balancer = Create([A, B, C, D]);
        Fail(balancer, C, 5);

        var counts = Enumerable.Range(0, 300).Select(_ => balancer.Pick(Client)!).CountBy(e => e).ToDictionary();

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 99, 101));
    }

    [Fact]
    public void A_successful_connect_resets_the_count()
    {
        var balancer = Create(Three);

        Fail(balancer, B, 4);
        balancer.ReportConnect(B, succeeded: true);
        Fail(balancer, B, 4);

        Assert.Empty(balancer.Outliers.Ejected);
        Fail(balancer, B, 1);
        Assert.Equal(new[] { B }, balancer.Outliers.Ejected);
    }

    [Fact]
    public void An_ejected_endpoint_returns_after_its_time()
    {
        var balancer = Create(Three);
        Fail(balancer, B, 5);

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(new[] { B }, balancer.Outliers.Ejected);
        Assert.Empty(_sink.Returns);

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(balancer.Outliers.Ejected);
        Assert.Equal(new[] { (B, false) }, _sink.Returns);
        Assert.Contains(B, Picks(balancer));
    }

    [Fact]
    public void A_stopped_port_forgets_its_ejected_endpoints_and_its_timer_never_fires()
    {
        var balancer = Create(Three);
        Fail(balancer, B, 5);

        balancer.Outliers.Clear();

        Assert.Empty(balancer.Outliers.Ejected);
        Assert.Equal(new[] { (B, true) }, _sink.Returns);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(new[] { (B, true) }, _sink.Returns);
    }

    [Fact]
    public void The_ejection_time_grows_with_each_ejection_in_a_row_up_to_300_s()
    {
        var balancer = Create(Three);
        var durations = new List<TimeSpan>();
        for (var i = 0; i < 12; i++)
        {
            Fail(balancer, B, 5); // it fails again as soon as it is back
            durations.Add(_sink.Ejections[^1].Duration);
            _time.Advance(durations[^1]);
            Assert.Empty(balancer.Outliers.Ejected);
        }

        Assert.Equal(new[] { 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300 }, durations.Select(d => (int)d.TotalSeconds));
    }

    [Fact]
    public void A_base_time_longer_than_300_s_is_its_own_cap()
    {
        var balancer = Create(Three, new OutlierDetectionConfig(2, TimeSpan.FromSeconds(400), 50));

        Fail(balancer, B, 2);
        _time.Advance(TimeSpan.FromSeconds(400));
        Fail(balancer, B, 2);

        Assert.Equal(new[] { 400, 400 }, _sink.Ejections.Select(e => (int)e.Duration.TotalSeconds));
    }

    [Fact]
    public void Time_back_in_rotation_shrinks_the_next_ejection_one_base_time_at_a_time()
    {
        var balancer = Create(Three);
        for (var i = 0; i < 3; i++)
        {
            Fail(balancer, B, 5);
            _time.Advance(_sink.Ejections[^1].Duration);
        }

        // Three ejections in a row (30, 60, 90 s); then 60 s in rotation take two steps off.
        _time.Advance(TimeSpan.FromSeconds(60));
        Fail(balancer, B, 5);

        Assert.Equal(new[] { 30, 60, 90, 60 }, _sink.Ejections.Select(e => (int)e.Duration.TotalSeconds));
    }

    [Theory]
    [InlineData(1, 50, 0)]  // the only endpoint is never ejected
    [InlineData(2, 50, 1)]
    [InlineData(3, 50, 1)]
    [InlineData(4, 50, 2)]
    [InlineData(5, 10, 0)]  // as Envoy: (ejected + 1) / endpoints may not pass the percentage
    [InlineData(10, 10, 1)]
    [InlineData(3, 100, 3)]
    [InlineData(3, 0, 0)]
    public void With_every_endpoint_failing_the_maximum_percentage_holds(int endpoints, int maxPercent, int ejected)
    {
        ImmutableArray<IPEndPoint> all = [.. Enumerable.Range(1, endpoints).Select(i => new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 80))];
        var balancer = Create(all, new OutlierDetectionConfig(5, TimeSpan.FromSeconds(30), maxPercent));

        for (var round = 0; round < 3; round++)
        {
            foreach (var endpoint in all)
            {
                Fail(balancer, endpoint, 5);
            }
        }

        Assert.Equal(ejected, balancer.Outliers.Ejected.Count);
        Assert.Equal(ejected, _sink.Ejections.Count);
        // Whatever is ejected, a pick always finds an endpoint (all of them when every one is out).
        var picks = Picks(balancer, 3 * endpoints);
        Assert.Equal(ejected == endpoints ? endpoints : endpoints - ejected, picks.Count);
    }

    [Fact]
    public void Zero_failures_turns_detection_off()
    {
        var balancer = Create(Three, OutlierDetectionConfig.Default with { ConsecutiveFailures = 0 });

        Fail(balancer, B, 100);

        Assert.Empty(balancer.Outliers.Ejected);
        Assert.Equal(3, Picks(balancer).Count);
    }

    [Fact]
    public void Turning_detection_off_returns_every_ejected_endpoint()
    {
        var balancer = Create(Three);
        Fail(balancer, B, 5);

        balancer.Update(Three, AffinityConfig.None, OutlierDetectionConfig.Disabled);

        Assert.Empty(balancer.Outliers.Ejected);
        Assert.Equal(new[] { (B, false) }, _sink.Returns);
    }

    [Fact]
    public void An_update_keeps_the_state_of_endpoints_that_remain_and_forgets_the_others()
    {
        var all = OutlierDetectionConfig.Default with { MaxEjectionPercent = 100 };
        var balancer = Create([A, B, C, D], all);
        Fail(balancer, A, 5);
        Fail(balancer, B, 5);
        Fail(balancer, C, 4);

        balancer.Update([A, C, D], AffinityConfig.None, all);

        Assert.Equal(new[] { A }, balancer.Outliers.Ejected);
        Assert.Equal(new[] { (B, true) }, _sink.Returns);
        Fail(balancer, C, 1); // its count survived the update
        Assert.Equal(new[] { A, C }, balancer.Outliers.Ejected.Order(EndpointOrder.Instance));

        balancer.Update([A, B, C, D], AffinityConfig.None, all);
        Fail(balancer, B, 4); // back as a new endpoint: nothing of its old state is left
        Assert.Equal(2, balancer.Outliers.Ejected.Count);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(balancer.Outliers.Ejected); // A's time ran on through both updates
    }

    [Fact]
    public void Failures_of_an_endpoint_the_port_does_not_have_are_ignored()
    {
        var balancer = Create(Three);

        Fail(balancer, D, 10);

        Assert.Empty(balancer.Outliers.Ejected);
    }

    [Fact]
    public void A_client_pinned_to_an_ejected_endpoint_is_repinned_at_once()
    {
        var balancer = Create(Three, affinity: AffinityConfig.ForClientIP(3600));
        var pinned = balancer.Pick(Client)!;

        Fail(balancer, pinned, 5);
        var repinned = balancer.Pick(Client)!;

        Assert.NotEqual(pinned, repinned);
        Assert.Equal(repinned, balancer.Pick(Client)); // and sticks to the new one

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(repinned, balancer.Pick(Client)); // the old one's return does not move it back
    }

    [Fact]
    public void The_avoided_endpoint_is_taken_when_it_is_the_only_one_left_in_rotation()
    {
        var balancer = Create([A, B]);
        Fail(balancer, A, 5);

        Assert.Equal(B, balancer.Pick(Client, resetAffinity: true, avoid: B));
    }

    private sealed class RecordingSink : IOutlierSink
    {
        public List<(IPEndPoint Endpoint, int Failures, TimeSpan Duration, int Ejections)> Ejections { get; } = [];

        public List<(IPEndPoint Endpoint, bool Removed)> Returns { get; } = [];

        public void Ejected(IPEndPoint endpoint, int failures, TimeSpan duration, int ejections) => Ejections.Add((endpoint, failures, duration, ejections));

        public void Returned(IPEndPoint endpoint, bool removed) => Returns.Add((endpoint, removed));
    }

    private sealed class EndpointOrder : IComparer<IPEndPoint>
    {
        public static readonly EndpointOrder Instance = new();

        public int Compare(IPEndPoint? x, IPEndPoint? y) => string.CompareOrdinal(x?.ToString(), y?.ToString());
    }
}

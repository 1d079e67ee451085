using System.Collections.Immutable;
using System.Net;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class DialLadderTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.0.0.7");
    private static readonly IPEndPoint A = IPEndPoint.Parse("10.1.0.1:80");
    private static readonly TimeSpan[] Timeouts = [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    [Fact]
    public void Each_attempt_gets_its_own_timeout_and_only_retries_reset_affinity_and_avoid_the_failed_endpoint()
    {
        var balancer = new RecordingBalancer(A);
        var ladder = new DialLadder(Timeouts, balancer, Client);

        Assert.True(ladder.TryNext(out var first, out var firstTimeout));
        ladder.Failed(first);
        Assert.True(ladder.TryNext(out _, out var secondTimeout));
        Assert.True(ladder.TryNext(out _, out var thirdTimeout));
        Assert.False(ladder.TryNext(out _, out _));

        Assert.Equal(Timeouts, new[] { firstTimeout, secondTimeout, thirdTimeout });
        Assert.Equal(3, ladder.Attempts);
        Assert.Equal(new (bool, IPEndPoint?)[] { (false, null), (true, A), (true, A) }, balancer.Picks);
    }

    [Fact]
    public void Each_outcome_is_reported_to_the_balancer_except_failures_that_are_not_the_endpoints_fault()
    {
        var balancer = new RecordingBalancer(A);
        var ladder = new DialLadder(Timeouts, balancer, Client);

        Assert.True(ladder.TryNext(out var first, out _));
        ladder.Failed(first);
        Assert.True(ladder.TryNext(out var second, out _));
        ladder.Failed(second, endpointsFault: false);
        Assert.True(ladder.TryNext(out var third, out _));
        ladder.Connected(third);

        Assert.Equal(new (IPEndPoint, bool)[] { (A, false), (A, true) }, balancer.Reports);
    }

    [Fact]
    public void Without_endpoints_no_attempt_is_made()
    {
        var ladder = new DialLadder(Timeouts, new RecordingBalancer(null), Client);

        Assert.False(ladder.TryNext(out _, out _));
        Assert.Equal(0, ladder.Attempts);
    }

    private sealed class RecordingBalancer(IPEndPoint? endpoint) : IEndpointBalancer
    {
        public List<(bool ResetAffinity, IPEndPoint? Avoid)> Picks { get; } = [];

        public ImmutableArray<IPEndPoint> Endpoints => endpoint is null ? [] : [endpoint];

        public List<(IPEndPoint Endpoint, bool Succeeded)> Reports { get; } = [];

        public int AffinityCount => 0;

        public OutlierDetector Outliers { get; } = new(TimeProvider.System);

        public IPEndPoint? Pick(IPAddress client, bool resetAffinity = false, IPEndPoint? avoid = null)
        {
            Assert.Equal(Client, client);
            Picks.Add((resetAffinity, avoid));
            return endpoint;
        }

        public void Update(ImmutableArray<IPEndPoint> endpoints, AffinityConfig affinity, OutlierDetectionConfig? outlierDetection = null) =>
            throw new NotSupportedException();

        public void ReportConnect(IPEndPoint endpoint, bool succeeded) => Reports.Add((endpoint, succeeded));

        public int SweepExpired() => 0;
    }
}

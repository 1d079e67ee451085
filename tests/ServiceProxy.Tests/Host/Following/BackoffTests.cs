using ServiceProxy.Host.Following;

namespace ServiceProxy.Tests.Host.Following;

public sealed class BackoffTests
{
    [Fact]
    public void Each_failure_doubles_the_wait_up_to_the_cap_with_jitter_and_a_success_starts_over()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), new Random(7));
        var waits = Enumerable.Range(0, 8).Select(_ => backoff.Next()).ToList();

        // Within [ceiling/2, ceiling): 100, 200, 400, 800 ms, then the 1 s cap.
        double[] ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
        for (var i = 0; i < waits.Count; i++)
        {
            Assert.InRange(waits[i].TotalMilliseconds, ceilings[i] / 2, ceilings[i]);
        }

        Assert.Equal(8, backoff.Failures);
        // Jittered: not all the capped waits are equal.
        Assert.True(waits.Skip(4).Distinct().Count() > 1);

        backoff.Reset();
        Assert.Equal(0, backoff.Failures);
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public void Many_failures_never_overflow()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30));
        for (var i = 0; i < 1000; i++)
        {
            Assert.InRange(backoff.Next(), TimeSpan.Zero, TimeSpan.FromSeconds(30));
        }
    }
}

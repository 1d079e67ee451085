using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class LogThrottleTests
{
    [Fact]
    public void One_line_per_interval_passes_and_the_next_reports_how_many_were_held_back()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle(time, TimeSpan.FromSeconds(10));

        Assert.True(throttle.TryAcquire(out var first));
        Assert.Equal(0, first);
        for (var i = 0; i < 5; i++)
        {
            Assert.False(throttle.TryAcquire(out _));
        }

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(throttle.TryAcquire(out _));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(throttle.TryAcquire(out var suppressed));
        Assert.Equal(6, suppressed);
    }
}

using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class PausingSweepTimerTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    [Fact]
    public void Sweeps_only_while_there_is_work_and_wakes_on_new_work()
    {
        var time = new FakeTimeProvider();
        var work = 0;
        var sweeps = 0;
        var resumed = 0;
        using var timer = new PausingSweepTimer(time, Period, () => sweeps++, () => work > 0, () => resumed++);

        time.Advance(10 * Period);
        Assert.Equal(0, sweeps); // nothing to sweep: never started

        work = 1;
        timer.Wake();
        timer.Wake(); // a second wake while running changes nothing
        Assert.Equal(1, resumed);
        time.Advance(3 * Period);
        Assert.Equal(3, sweeps);

        work = 0;
        time.Advance(Period); // this sweep finds nothing left and pauses
        time.Advance(10 * Period);
        Assert.Equal(4, sweeps);

        work = 1;
        timer.Wake();
        Assert.Equal(2, resumed);
        time.Advance(Period);
        Assert.Equal(5, sweeps);
    }

    [Fact]
    public void Work_added_while_pausing_restarts_the_timer()
    {
        var time = new FakeTimeProvider();
        var work = 1;
        var sweeps = 0;
        PausingSweepTimer? timer = null;
        var checks = 0;

        // The first "has work?" after a sweep says no, and work arrives before the second look.
        timer = new PausingSweepTimer(time, Period, () => sweeps++, () => ++checks switch { 1 => false, _ => work > 0 });
        using var _ = timer;
        timer.Wake();
        time.Advance(Period);
        Assert.Equal(1, sweeps);
        time.Advance(Period);
        Assert.Equal(2, sweeps);
    }
}

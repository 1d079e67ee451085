using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Internal;

namespace ServiceProxy.Tests.Internal;

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

    [Fact]
    public void A_changed_period_applies_at_once_while_running_and_from_the_next_start_while_paused()
    {
        var time = new FakeTimeProvider();
        var work = 1;
        var sweeps = 0;
        using var timer = new PausingSweepTimer(time, Period, () => sweeps++, () => work > 0);
        timer.Wake();
        timer.ChangePeriod(3 * Period);
        time.Advance(2 * Period);
        Assert.Equal(0, sweeps);
        time.Advance(Period);
        Assert.Equal(1, sweeps);

        work = 0;
        time.Advance(3 * Period); // pauses
        Assert.Equal(2, sweeps);
        timer.ChangePeriod(Period);
        time.Advance(5 * Period);
        Assert.Equal(2, sweeps); // paused: no sweep

        work = 1;
        timer.Wake();
        time.Advance(Period);
        Assert.Equal(3, sweeps);
    }
}

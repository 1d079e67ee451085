using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class SweepScheduleTests
{
    [Fact]
    public void Sweeps_on_time_end_connections()
    {
        var schedule = new SweepSchedule(periodTicks: 250);
        for (var now = 0L; now < 5000; now += 260) // a little late each time, never two periods
        {
            Assert.True(schedule.Enforce(now));
        }
    }

    [Fact]
    public void A_sweep_two_periods_late_ends_nothing_and_the_next_on_time_does()
    {
        var schedule = new SweepSchedule(periodTicks: 250);
        Assert.True(schedule.Enforce(250));
        Assert.False(schedule.Enforce(1300)); // the process stalled for a second
        Assert.True(schedule.Enforce(1550));
    }

    [Fact]
    public void A_process_that_stays_slow_passes_over_one_sweep_in_a_row_at_most()
    {
        var schedule = new SweepSchedule(periodTicks: 250);
        Assert.True(schedule.Enforce(0));
        var enforced = new List<bool>();
        for (var now = 1000L; now <= 6000; now += 1000) // every sweep a second apart
        {
            enforced.Add(schedule.Enforce(now));
        }

        Assert.Equal([false, true, false, true, false, true], enforced);
    }
}

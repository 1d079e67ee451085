using System.Runtime.CompilerServices;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class ConnectDeadlinesTests
{
    [Fact]
    public void Dials_expire_in_deadline_order_across_timeouts_and_not_before_their_deadline()
    {
        var deadlines = new ConnectDeadlines();
        var slowFirst = Dial();
        var fast = Dial();
        var slowSecond = Dial();
        deadlines.Add(slowFirst, timeoutTicks: 1000, now: 0);  // due at 1000
        deadlines.Add(fast, timeoutTicks: 250, now: 10);       // due at 260
        deadlines.Add(slowSecond, timeoutTicks: 1000, now: 20); // due at 1020

        Assert.Equal(3, deadlines.Count);
        Assert.Equal(260, deadlines.Earliest);
        Assert.Null(deadlines.TakeExpired(259));
        Assert.Same(fast, deadlines.TakeExpired(260));
        Assert.Equal(1000, deadlines.Earliest);
        Assert.Null(deadlines.TakeExpired(999));
        Assert.Same(slowFirst, deadlines.TakeExpired(5000));
        Assert.Same(slowSecond, deadlines.TakeExpired(5000));
        Assert.Null(deadlines.TakeExpired(long.MaxValue));
        Assert.Equal(0, deadlines.Count);
        Assert.Equal(long.MaxValue, deadlines.Earliest);
    }

    [Theory]
    [InlineData(0)] // head
    [InlineData(1)] // middle
    [InlineData(2)] // tail
    public void A_completed_dial_is_removed_from_anywhere_in_its_queue_and_twice_is_harmless(int removed)
    {
        var deadlines = new ConnectDeadlines();
        var dials = new[] { Dial(), Dial(), Dial() };
        for (var i = 0; i < dials.Length; i++)
        {
            deadlines.Add(dials[i], timeoutTicks: 100, now: i);
        }

        deadlines.Remove(dials[removed]);
        deadlines.Remove(dials[removed]);

        Assert.Equal(2, deadlines.Count);
        var expired = new List<SpliceConnect>();
        while (deadlines.TakeExpired(long.MaxValue) is { } dial)
        {
            expired.Add(dial);
        }

        Assert.Equal(dials.Where((_, i) => i != removed), expired);
    }

    [Fact]
    public void A_queue_left_empty_goes_when_another_timeout_comes_so_changing_timeouts_stay_bounded()
    {
        var deadlines = new ConnectDeadlines();
        for (var timeout = 1; timeout <= 1000; timeout++)
        {
            var dial = Dial();
            deadlines.Add(dial, timeout, now: 0);
            deadlines.Remove(dial);
        }

        Assert.Equal(1, deadlines.QueueCount);
        var kept = Dial();
        deadlines.Add(kept, 5, now: 0);
        deadlines.Add(Dial(), 7, now: 0);
        Assert.Equal(2, deadlines.QueueCount);
        Assert.Same(kept, deadlines.TakeExpired(5));
    }

    /// <summary>A dial as the deadline queue sees it: only its links are used, so no socket or loop is needed.</summary>
    private static SpliceConnect Dial() => (SpliceConnect)RuntimeHelpers.GetUninitializedObject(typeof(SpliceConnect));
}

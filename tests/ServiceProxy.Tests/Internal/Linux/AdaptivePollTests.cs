using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class AdaptivePollTests
{
    private const long Window = 50;

    [Fact]
    public void Events_closer_than_the_window_are_polled_for_twice_their_usual_gap()
    {
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);

        Assert.Equal(20, poll.Budget);
        Assert.True(poll.ShouldPoll(now + 1, eligible: true));
        Assert.True(poll.ShouldPoll(now + 19, eligible: true));
    }

    [Fact]
    public void A_loop_sleeps_at_once_while_its_events_are_paced_though_every_other_gap_is_short()
    {
        // A ping-pong paced at 5 000 messages/s with a 50 µs window: the reply comes 20 µs after the
        // request, the next request 180 µs after the reply. A poll would catch every reply, and spin
        // in vain after it; the loop sleeps instead.
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);
        var polled = 0;
        for (var i = 0; i < 200; i++)
        {
            polled += poll.ShouldPoll(now + 1, eligible: true) ? 1 : 0;
            now += i % 2 == 0 ? 180 : 20;
            poll.ShouldPoll(now - 1, eligible: true);
            poll.OnEvents(now);
        }

        Assert.True(polled < 10, $"polled after {polled} of 200 events");
        Assert.False(poll.ShouldPoll(now + 1, eligible: true));
    }

    [Fact]
    public void A_poll_that_ends_empty_makes_the_loop_sleep_through_twice_as_many_wake_ups_each_time()
    {
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);
        var backoffs = new List<int>();
        var slept = new List<int>();
        for (var round = 0; round < 8; round++)
        {
            Assert.False(poll.ShouldPoll(now + poll.Budget, eligible: true)); // nothing came
            backoffs.Add(poll.SleepsLeft);
            now += poll.Budget + 1;
            poll.OnEvents(now);
            slept.Add(SleepUntilPolling(ref poll, ref now));
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, AdaptivePoll.MaxBackoff, AdaptivePoll.MaxBackoff], backoffs);
        // The wake-up that ended the empty poll is the first one slept through.
        Assert.All(slept.Zip(backoffs), s => Assert.True(1 + s.First >= s.Second, $"slept through 1 + {s.First} wake-ups, back-off {s.Second}"));
    }

    [Fact]
    public void A_poll_that_finds_its_event_halves_the_back_off()
    {
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);
        for (var round = 0; round < 3; round++) // back-off 1, 2, 4
        {
            Assert.False(poll.ShouldPoll(now + poll.Budget, eligible: true));
            now += poll.Budget + 1;
            poll.OnEvents(now);
            SleepUntilPolling(ref poll, ref now);
        }

        now += 10;
        poll.OnEvents(now); // found within the poll: back-off 4 becomes 2
        Assert.True(poll.ShouldPoll(now + 1, eligible: true));
        Assert.False(poll.ShouldPoll(now + poll.Budget, eligible: true));
        Assert.Equal(4, poll.SleepsLeft); // 2 doubled, not 4 doubled
    }

    [Fact]
    public void A_loop_with_too_many_sockets_or_no_window_never_polls()
    {
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);
        Assert.False(poll.ShouldPoll(now + 1, eligible: false));

        var off = new AdaptivePoll(0);
        Assert.False(off.Enabled);
        for (var i = 1; i < 50; i++)
        {
            off.OnEvents(i);
            Assert.False(off.ShouldPoll(i, eligible: true));
        }
    }

    /// <summary>
    /// Events 10 ticks apart while the loop sleeps, until it polls again (asked at 1 tick after the
    /// last event, as the loop does); returns how many it slept through.
    /// </summary>
    private static int SleepUntilPolling(ref AdaptivePoll poll, ref long now)
    {
        for (var slept = 0; slept < 1000; slept++)
        {
            if (poll.ShouldPoll(now + 1, eligible: true))
            {
                return slept;
            }

            now += 10;
            poll.OnEvents(now);
        }

        throw new InvalidOperationException("the loop never polled again");
    }

    /// <summary>A poll that has seen back-to-back events 10 ticks apart; returns the last event's time.</summary>
    private static long Warm(ref AdaptivePoll poll) => Serve(ref poll, 0, gap: 10, count: 60);

    /// <summary>Events <paramref name="gap"/> apart, each asked about first as the loop does; returns the last event's time.</summary>
    private static long Serve(ref AdaptivePoll poll, long now, long gap, int count)
    {
        for (var i = 0; i < count; i++)
        {
            poll.ShouldPoll(now + 1, eligible: true);
            now += gap;
            poll.ShouldPoll(now - 1, eligible: true);
            poll.OnEvents(now);
        }

        return now;
    }
}

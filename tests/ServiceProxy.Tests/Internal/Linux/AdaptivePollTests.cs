using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class AdaptivePollTests
{
    private const long Window = 50;

    [Fact]
    public void Events_closer_than_the_window_are_polled_for()
    {
        var poll = new AdaptivePoll(Window);
        var now = 0L;
        for (var i = 0; i < 40; i++)
        {
            now += 10;
            poll.ShouldPoll(now, eligible: true);
            poll.OnEvents(now);
        }

        Assert.True(poll.AverageGap < Window);
        Assert.True(poll.ShouldPoll(now + 1, eligible: true));
    }

    [Fact]
    public void Events_further_apart_than_the_window_on_average_are_slept_for_though_every_other_gap_is_short()
    {
        // A ping-pong paced at 5 000 messages/s with a 50 µs window: the reply comes 20 µs after the
        // request, the next request 180 µs after the reply. Polling would catch every reply, and spin
        // a whole window after it; the loop sleeps instead.
        var poll = new AdaptivePoll(Window);
        var now = 0L;
        var polled = 0;
        for (var i = 0; i < 200; i++)
        {
            now += i % 2 == 0 ? 180 : 20;
            polled += poll.ShouldPoll(now - 1, eligible: true) ? 1 : 0;
            poll.OnEvents(now);
        }

        Assert.Equal(0, polled);
        Assert.False(poll.ShouldPoll(now + 1, eligible: true));
    }

    [Fact]
    public void A_window_that_ends_empty_makes_the_loop_sleep_through_twice_as_many_wake_ups_each_time()
    {
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);
        var backoffs = new List<int>();
        for (var round = 0; round < 8; round++)
        {
            Assert.True(poll.ShouldPoll(now + 1, eligible: true));
            now += Window; // nothing came within the window
            Assert.False(poll.ShouldPoll(now, eligible: true));
            backoffs.Add(poll.SleepsLeft);
            for (var sleep = poll.SleepsLeft; sleep > 0; sleep--)
            {
                Assert.False(poll.ShouldPoll(now, eligible: true));
                now += 1;
                poll.OnEvents(now);
            }
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, AdaptivePoll.MaxBackoff, AdaptivePoll.MaxBackoff], backoffs);
    }

    [Fact]
    public void A_poll_that_finds_its_event_halves_the_back_off()
    {
        var poll = new AdaptivePoll(Window);
        var now = Warm(ref poll);
        for (var round = 0; round < 3; round++) // back-off 1, 2, 4
        {
            Assert.True(poll.ShouldPoll(now + 1, eligible: true));
            now += Window;
            Assert.False(poll.ShouldPoll(now, eligible: true));
            for (var sleep = poll.SleepsLeft; sleep > 0; sleep--)
            {
                now += 1;
                poll.OnEvents(now);
            }
        }

        Assert.True(poll.ShouldPoll(now + 1, eligible: true));
        now += 5;
        poll.OnEvents(now); // found within the window: back-off 4 becomes 2
        Assert.True(poll.ShouldPoll(now + 1, eligible: true));
        now += Window;
        Assert.False(poll.ShouldPoll(now, eligible: true));
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

    /// <summary>A poll that has seen back-to-back events 10 ticks apart; returns the last event's time.</summary>
    private static long Warm(ref AdaptivePoll poll)
    {
        var now = 0L;
        for (var i = 0; i < 40; i++)
        {
            now += 10;
            poll.ShouldPoll(now, eligible: true);
            poll.OnEvents(now);
        }

        return now;
    }
}

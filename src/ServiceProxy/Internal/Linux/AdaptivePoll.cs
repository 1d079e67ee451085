namespace ServiceProxy.Internal.Linux;

/// <summary>
/// Decides, before each epoll_wait of an <see cref="EventLoop"/>, whether to poll (timeout zero) or
/// sleep. Polling pays only when the next event comes soon: then it saves the wake-up of a sleeping
/// thread; otherwise it burns CPU for nothing. So a loop polls only while nearly every gap between
/// its wake-ups (7 in 8, a moving average) would have been caught by a poll, and for at most twice
/// the usual short gap (never longer than the window): a back-to-back exchange is polled for, while
/// a paced one, whose every other gap is the idle time between messages, sleeps at once. A poll
/// that ends empty makes the loop sleep through the next wake-ups before it polls again, twice as
/// many after each empty poll (up to <see cref="MaxBackoff"/>); each poll that finds an event halves
/// that. Loop thread only; a mutable struct the loop keeps in a local, so deciding allocates nothing.
/// </summary>
internal struct AdaptivePoll
{
    /// <summary>The newest sample weighs 1/8 in the moving averages (a shift, not a division).</summary>
    private const int AverageShift = 3;

    /// <summary>Fixed point for the share of gaps a poll would have caught: this is all of them.</summary>
    private const int AllCaught = 256;

    /// <summary>A loop polls while at least this share of its gaps would have been caught (7 in 8).</summary>
    private const int PollingShare = AllCaught * 7 / 8;

    /// <summary>The most wake-ups a loop sleeps through after empty polls.</summary>
    public const int MaxBackoff = 64;

    private readonly long _window;
    private long _lastEvent;
    private long _shortGap;
    private int _caught;
    private int _backoff;
    private int _sleepsLeft;
    private bool _polling;

    /// <summary>A policy for a poll window of <paramref name="windowTicks"/> (Stopwatch ticks); zero never polls.</summary>
    public AdaptivePoll(long windowTicks)
    {
        _window = Math.Max(0, windowTicks);
        _shortGap = _window / 2;
    }

    /// <summary>Whether polling is configured at all.</summary>
    public readonly bool Enabled => _window > 0;

    /// <summary>How long a poll lasts: twice the usual gap shorter than the window, at most the window.</summary>
    public readonly long Budget => Math.Min(_window, 2 * _shortGap);

    /// <summary>The moving share (of <see cref="AllCaught"/>) of gaps a poll of <see cref="Budget"/> would have caught.</summary>
    public readonly int Caught => _caught;

    /// <summary>How many more wake-ups the loop sleeps through before it may poll again.</summary>
    public readonly int SleepsLeft => _sleepsLeft;

    /// <summary>
    /// Whether the next wait polls. <paramref name="eligible"/> is false while the loop serves too
    /// many sockets to poll (events then rarely leave it idle).
    /// </summary>
    public bool ShouldPoll(long now, bool eligible)
    {
        if (!eligible)
        {
            _polling = false;
            return false;
        }

        var sinceLast = now - _lastEvent;
        if (_polling)
        {
            if (sinceLast < Budget)
            {
                return true;
            }

            // The poll went by without an event: it cost CPU and saved nothing.
            _polling = false;
            _backoff = Math.Min(MaxBackoff, Math.Max(1, _backoff * 2));
            _sleepsLeft = _backoff;
            return false;
        }

        _polling = _sleepsLeft == 0 && _caught >= PollingShare && sinceLast < Budget;
        return _polling;
    }

    /// <summary>Records a wait that returned events at <paramref name="now"/>.</summary>
    public void OnEvents(long now)
    {
        var gap = now - _lastEvent;
        _caught += ((gap < Budget ? AllCaught : 0) - _caught) >> AverageShift;
        if (gap < _window)
        {
            _shortGap += (gap - _shortGap) >> AverageShift;
        }

        _lastEvent = now;
        if (_polling)
        {
            _backoff >>= 1; // a poll found its event
        }
        else if (_sleepsLeft > 0)
        {
            _sleepsLeft--;
        }
    }
}

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// Decides, before each epoll_wait of an <see cref="EventLoop"/>, whether to poll (timeout zero) or
/// sleep. Polling pays only when the next event comes within the window: then it saves the wake-up
/// of a sleeping thread; otherwise it burns the window for nothing. So a loop polls only while the
/// moving average of the gaps between its wake-ups is shorter than the window (a back-to-back
/// exchange), and sleeps at once between the events of a paced or idle one. A poll window that ends
/// empty makes the loop sleep through the next wake-ups before it polls again, twice as many after
/// each empty window (up to <see cref="MaxBackoff"/>); each poll that finds an event halves that.
/// Loop thread only; a mutable struct the loop keeps in a local, so deciding allocates nothing.
/// </summary>
internal struct AdaptivePoll
{
    /// <summary>The newest gap weighs 1/8 in the average (a shift, not a division).</summary>
    private const int AverageShift = 3;

    /// <summary>The most wake-ups a loop sleeps through after empty poll windows.</summary>
    public const int MaxBackoff = 64;

    private readonly long _window;
    private long _lastEvent;
    private long _averageGap;
    private int _backoff;
    private int _sleepsLeft;
    private bool _polling;

    /// <summary>A policy for a poll window of <paramref name="windowTicks"/> (Stopwatch ticks); zero never polls.</summary>
    public AdaptivePoll(long windowTicks)
    {
        _window = Math.Max(0, windowTicks);
        _averageGap = 2 * _window; // no history yet: sleep until short gaps have been seen
    }

    /// <summary>Whether polling is configured at all.</summary>
    public readonly bool Enabled => _window > 0;

    /// <summary>The moving average of the gaps between wake-ups with events, in Stopwatch ticks.</summary>
    public readonly long AverageGap => _averageGap;

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
            if (sinceLast < _window)
            {
                return true;
            }

            // The whole window went by without an event: polling cost CPU and saved nothing.
            _polling = false;
            _backoff = Math.Min(MaxBackoff, Math.Max(1, _backoff * 2));
            _sleepsLeft = _backoff;
            return false;
        }

        _polling = _sleepsLeft == 0 && _averageGap < _window && sinceLast < _window;
        return _polling;
    }

    /// <summary>Records a wait that returned events at <paramref name="now"/>.</summary>
    public void OnEvents(long now)
    {
        // A gap counts at most twice the window, so that after an idle spell a few short gaps bring
        // the average back under the window.
        var gap = Math.Min(now - _lastEvent, 2 * _window);
        _averageGap += (gap - _averageGap) >> AverageShift;
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

namespace ServiceProxy.Internal;

/// <summary>
/// A periodic sweep that runs only while there is something to sweep. A port with no connections
/// has its timer stopped, so thousands of idle service ports cost no wake-ups; the first new
/// connection starts it again. <see cref="Wake"/> is cheap while the timer runs (one volatile read).
/// </summary>
internal sealed class PausingSweepTimer : IDisposable
{
    private TimeSpan _period;
    private readonly Action _sweep;
    private readonly Func<bool> _hasWork;
    private readonly Action? _resuming;
    private readonly ITimer _timer;
    private int _paused = 1;

    /// <param name="time">The clock.</param>
    /// <param name="period">Time between sweeps while running.</param>
    /// <param name="sweep">One sweep.</param>
    /// <param name="hasWork">Whether anything is left to sweep; when not, the timer pauses.</param>
    /// <param name="resuming">Called before a paused timer starts again (no sweep runs then).</param>
    public PausingSweepTimer(TimeProvider time, TimeSpan period, Action sweep, Func<bool> hasWork, Action? resuming = null)
    {
        _resuming = resuming;
        _period = period;
        _sweep = sweep;
        _hasWork = hasWork;
        _timer = time.CreateTimer(static s => ((PausingSweepTimer)s!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Something to sweep was added: starts the timer when it is paused.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _paused) == 1 && Interlocked.CompareExchange(ref _paused, 0, 1) == 1)
        {
            _resuming?.Invoke();
            _timer.Change(_period, _period);
        }
    }

    /// <summary>Sweeps every <paramref name="period"/> from now on (from the next start, while paused).</summary>
    public void ChangePeriod(TimeSpan period)
    {
        _period = period;
        if (Volatile.Read(ref _paused) == 0)
        {
            _timer.Change(period, period);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        _sweep();
        if (_hasWork())
        {
            return;
        }

        // Stop first, then say so: a Wake that reads "paused" restarts a timer that is already stopped.
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _paused, 1);

        // Work added after the check above, whose Wake still saw "running", is caught here.
        if (_hasWork())
        {
            Wake();
        }
    }
}

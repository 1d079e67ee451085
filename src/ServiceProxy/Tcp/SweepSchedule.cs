namespace ServiceProxy.Tcp;

/// <summary>
/// Whether a timeout sweep may end connections. A sweep that runs two periods or more after the
/// one before ran after the process stalled (a starved thread pool): the relays queued behind it
/// have not yet recorded the traffic that came meanwhile, so such a sweep ends nothing and the next
/// one, on time, does. Only one sweep in a row is passed over, so a process that stays that slow
/// still enforces its timeouts, one period later.
/// </summary>
internal sealed class SweepSchedule(long periodTicks)
{
    private long _lastSweep = -1;
    private bool _passedOver;

    /// <summary>The sweeps start again after a pause: the first one is on time, whenever it comes.</summary>
    public void Restart()
    {
        _lastSweep = -1;
        _passedOver = false;
    }

    /// <summary>Records a sweep at <paramref name="now"/>; true when it may end connections.</summary>
    public bool Enforce(long now)
    {
        var late = _lastSweep >= 0 && now - _lastSweep >= 2 * periodTicks;
        _lastSweep = now;
        if (late && !_passedOver)
        {
            _passedOver = true;
            return false;
        }

        _passedOver = false;
        return true;
    }
}

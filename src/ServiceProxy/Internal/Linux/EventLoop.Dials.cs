using System.Diagnostics;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// The loop's side of dialing (<see cref="SpliceConnect"/>): the deadlines the loop enforces
/// itself, sleeping in epoll_wait no longer than the next one, so a dial needs no timer.
/// </summary>
internal sealed partial class EventLoop
{
    private readonly ConnectDeadlines _connects = new(); // under _gate
    private long _waitingUntil; // under _gate: the deadline the loop sleeps towards, while dials are in flight
    private volatile int _dialsInFlight; // written under _gate: lets the loop skip the lock when none is

    /// <summary>
    /// Any thread: like <see cref="Register"/>, and the loop fails the dial (<see cref="SpliceConnect.OnTimeout"/>)
    /// <paramref name="timeoutTicks"/> from now. The deadline is set before epoll can report the socket,
    /// so a connect that completes at once finds it to remove.
    /// </summary>
    public bool RegisterConnect(SpliceConnect connect, int fd, long timeoutTicks)
    {
        bool wake;
        lock (_gate)
        {
            AddSlot(connect);
            _connects.Add(connect, timeoutTicks, Stopwatch.GetTimestamp());
            // The first dial in flight: the loop may be sleeping with no timeout. A later one: only
            // if it is due before the deadline the loop sleeps towards.
            wake = _dialsInFlight == 0 || connect.Deadline < _waitingUntil;
            _dialsInFlight = _connects.Count;
            if (wake)
            {
                _waitingUntil = connect.Deadline;
            }
        }

        if (wake && Thread.CurrentThread != _thread)
        {
            Libc.EventFdSignal(_wake);
        }

        return Libc.EpollAdd(_epoll, fd, SocketEvents, connect.EventData(0)) == 0;
    }

    /// <summary>Removes a dial's slot and deadline (any thread; a second call does nothing).</summary>
    public void RemoveConnect(SpliceConnect connect)
    {
        lock (_gate)
        {
            _connects.Remove(connect);
            _dialsInFlight = _connects.Count;
            RemoveSlot(connect);
        }
    }

    /// <summary>
    /// How long epoll_wait may sleep: not at all while busy polling, else until the next dial's
    /// deadline, or for ever when none is in flight (the next dial from another thread wakes it).
    /// Without dials in flight it takes no lock.
    /// </summary>
    private int WaitTimeout(bool polling)
    {
        if (polling)
        {
            return 0;
        }

        if (_dialsInFlight == 0)
        {
            return -1;
        }

        lock (_gate)
        {
            var earliest = _connects.Earliest;
            _waitingUntil = earliest;
            if (earliest == long.MaxValue)
            {
                return -1;
            }

            var remaining = earliest - Stopwatch.GetTimestamp();
            return remaining <= 0 ? 0 : (int)Math.Min(int.MaxValue, (remaining * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
        }
    }

    /// <summary>Fails the dials whose deadline passed, outside the lock (completing one takes it).</summary>
    private void ExpireConnects()
    {
        if (_dialsInFlight == 0)
        {
            return; // one added meanwhile is not due yet
        }

        var now = Stopwatch.GetTimestamp();
        while (true)
        {
            SpliceConnect? expired;
            lock (_gate)
            {
                expired = _connects.TakeExpired(now);
            }

            if (expired is null)
            {
                return;
            }

            Guard(expired, static (e, _, _) => ((SpliceConnect)e).OnTimeout(), 0, 0);
        }
    }
}

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// The dials in flight on one loop, in deadline order: one FIFO per distinct timeout. The retry
/// ladder has a handful of timeouts, and dials with the same timeout expire in the order they
/// started, so adding, removing and finding the next expiry are O(1) and allocate nothing per dial.
/// Not thread-safe: the loop guards it with its lock.
/// </summary>
internal sealed class ConnectDeadlines
{
    private readonly List<Fifo> _fifos = [];

    /// <summary>Dials waiting.</summary>
    public int Count { get; private set; }

    /// <summary>The FIFOs kept, one per distinct timeout in flight (tests read it).</summary>
    public int QueueCount => _fifos.Count;

    /// <summary>The earliest deadline (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), or <see cref="long.MaxValue"/> when none waits.</summary>
    public long Earliest
    {
        get
        {
            var earliest = long.MaxValue;
            foreach (var fifo in _fifos)
            {
                if (fifo.Head is { } head && head.Deadline < earliest)
                {
                    earliest = head.Deadline;
                }
            }

            return earliest;
        }
    }

    /// <summary>Adds <paramref name="connect"/>, due <paramref name="timeoutTicks"/> after <paramref name="now"/>.</summary>
    public void Add(SpliceConnect connect, long timeoutTicks, long now)
    {
        var fifo = FifoFor(timeoutTicks);
        connect.Deadline = now + timeoutTicks;
        connect.DeadlineFifo = fifo;
        connect.Previous = fifo.Tail;
        connect.Next = null;
        if (fifo.Tail is null)
        {
            fifo.Head = connect;
        }
        else
        {
            fifo.Tail.Next = connect;
        }

        fifo.Tail = connect;
        Count++;
    }

    /// <summary>Removes <paramref name="connect"/> if it is waiting; a second call does nothing.</summary>
    public void Remove(SpliceConnect connect)
    {
        if (connect.DeadlineFifo is not { } fifo)
        {
            return;
        }

        if (connect.Previous is null)
        {
            fifo.Head = connect.Next;
        }
        else
        {
            connect.Previous.Next = connect.Next;
        }

        if (connect.Next is null)
        {
            fifo.Tail = connect.Previous;
        }
        else
        {
            connect.Next.Previous = connect.Previous;
        }

        connect.DeadlineFifo = null;
        connect.Previous = connect.Next = null;
        Count--;
    }

    /// <summary>Removes and returns a dial whose deadline is at or before <paramref name="now"/>, if any.</summary>
    public SpliceConnect? TakeExpired(long now)
    {
        foreach (var fifo in _fifos)
        {
            if (fifo.Head is { } head && head.Deadline <= now)
            {
                Remove(head);
                return head;
            }
        }

        return null;
    }

    private Fifo FifoFor(long timeoutTicks)
    {
        foreach (var fifo in _fifos)
        {
            if (fifo.TimeoutTicks == timeoutTicks)
            {
                return fifo;
            }
        }

        // Bounded by the distinct timeouts in flight: empty FIFOs go when a new timeout comes.
        _fifos.RemoveAll(static f => f.Head is null);
        var added = new Fifo(timeoutTicks);
        _fifos.Add(added);
        return added;
    }

    internal sealed class Fifo(long timeoutTicks)
    {
        public long TimeoutTicks { get; } = timeoutTicks;

        public SpliceConnect? Head { get; set; }

        public SpliceConnect? Tail { get; set; }
    }
}

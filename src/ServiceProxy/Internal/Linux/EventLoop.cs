using System.Collections.Concurrent;
using System.Diagnostics;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// One epoll thread of an <see cref="EventLoopGroup"/> that accepts, dials and relays many TCP
/// connections with splice(2), HAProxy style, and reads UDP sockets: sockets are registered
/// edge-triggered for both readiness kinds once, and each event pumps the direction it concerns
/// until a socket says EAGAIN.
/// </summary>
internal sealed partial class EventLoop
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int MaxEventsPerWait = 256;
    private const int MaxIdlePipes = 256;
    public const uint SocketEvents = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;

    /// <summary>
    /// Only a loop serving at most this many sockets busy-polls: with more, events rarely leave it
    /// idle, and spinning between them takes CPU from the kernel's network work.
    /// </summary>
    private const int BusyPollMaxEntries = 16;

    private readonly EventLoopGroup _group;
    private readonly long _busyPollTicks;
    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<LoopEntry> _commands = new();
    private readonly ConcurrentDictionary<int, SplicePipePool> _pools = new();
    private readonly Stack<int> _freeSlots = new();
    private List<LoopEntry> _deferred = [];
    private List<LoopEntry> _serving = [];
    private LoopEntry?[] _slots = new LoopEntry?[64];
    private byte[]? _datagramScratch;
    private int _used;
    private int _live;
    private uint _nextId;
    private volatile bool _stopping;

    /// <summary>
    /// Starts the loop's thread; <paramref name="busyPoll"/> is how long it polls after its last
    /// event; with a <paramref name="ring"/> size it relays through io_uring where the kernel allows.
    /// </summary>
    public EventLoop(EventLoopGroup group, int index, TimeSpan busyPoll, RingSize? ring = null)
    {
        _group = group;
        _busyPollTicks = busyPoll <= TimeSpan.Zero ? 0 : (long)(busyPoll.TotalSeconds * Stopwatch.Frequency);
        _epoll = Libc.EpollCreate1(Libc.O_CLOEXEC);
        _wake = Libc.EventFd(0, Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (_epoll < 0 || _wake < 0 || Libc.EpollAdd(_epoll, _wake, Libc.EPOLLIN, WakeToken) != 0)
        {
            var error = Libc.LastError;
            CloseDescriptors();
            throw new InvalidOperationException($"cannot create an event loop: errno {error}");
        }

        if (ring is { } size)
        {
            CreateRing(size);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = $"{group.Name} {index}" };
        _thread.Start();
    }

    /// <summary>Sockets registered with this loop; the least busy loop takes the next dial.</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>Whether the loop's thread is still running (until <see cref="Stop"/>).</summary>
    public bool IsRunning => _thread.IsAlive;

    /// <summary>Whether the caller runs on this loop's thread.</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>
    /// Loop thread only: one 64 KiB buffer a UDP socket reads a datagram into and forwards it from
    /// before the next read, so an idle UDP session holds no buffer.
    /// </summary>
    public byte[] DatagramScratch => _datagramScratch ??= GC.AllocateUninitializedArray<byte>(Udp.UdpListener.BufferSize, pinned: true);

    /// <summary>Adds <paramref name="fd"/> again for an entry that has its slot (any thread).</summary>
    public bool Add(LoopEntry entry, int fd, uint events) => Libc.EpollAdd(_epoll, fd, events, entry.EventData(0)) == 0;

    /// <summary>Removes <paramref name="fd"/> from this loop's epoll (any thread).</summary>
    public int Unregister(int fd) => Libc.EpollDelete(_epoll, fd);

    /// <summary>
    /// Relays <paramref name="connection"/> until both directions ended or it is aborted;
    /// <paramref name="clientNonBlocking"/>: its client's descriptor is non-blocking already.
    /// </summary>
    public ValueTask RelayAsync(TcpProxyConnection connection, int pipeSize, bool clientNonBlocking)
    {
        var pool = _pools.GetOrAdd(pipeSize, static (size, pipes) => new SplicePipePool(size, MaxIdlePipes, pipes), _group.Pipes);
        if (_ring is not null)
        {
            return RelayOnRing(connection, pool);
        }

        var spliced = SpliceConnection.TryCreate(this, pool, connection, clientNonBlocking);
        if (spliced is null)
        {
            return ValueTask.CompletedTask; // aborted before the handover: its sockets are closed already
        }

        connection.SetAbortHandler(spliced);
        if (!Register(spliced, spliced.ClientFd, SocketEvents, side: 0) || !RegisterBackend(spliced))
        {
            connection.Abort(TcpCloseReason.Error);
        }

        if (connection.IsAborted)
        {
            spliced.RequestAbort(); // aborted while the handler was being set
        }

        return spliced.Completion;
    }

    /// <summary>
    /// Gives <paramref name="entry"/> a slot (its first registration) and adds <paramref name="fd"/>
    /// to epoll; false with errno set when epoll refused.
    /// </summary>
    public bool Register(LoopEntry entry, int fd, uint events, int side)
    {
        if (side == 0)
        {
            lock (_gate)
            {
                AddSlot(entry);
            }
        }

        // The slot is published before epoll can report the descriptor.
        return Libc.EpollAdd(_epoll, fd, events, entry.EventData(side)) == 0;
    }

    /// <summary>
    /// Points the backend's registration, left by <see cref="SpliceConnect"/>, at the relay; a
    /// backend whose connect completed at once (never registered) is made non-blocking and added.
    /// </summary>
    private bool RegisterBackend(SpliceConnection spliced)
    {
        if (Libc.EpollModify(_epoll, spliced.BackendFd, SocketEvents, spliced.EventData(1)) == 0)
        {
            return true;
        }

        Libc.SetNonBlocking(spliced.BackendFd);
        return Register(spliced, spliced.BackendFd, SocketEvents, side: 1);
    }

    /// <summary>
    /// Loop thread: runs <see cref="LoopEntry.OnDeferred"/> once the events in hand have had their
    /// turn (after this pass's events, or the next pass's when asked after them), for an entry that
    /// stopped at its budget with input left. Its edge-triggered registration reports nothing new
    /// for what is already queued, so the loop remembers it instead, and does not sleep meanwhile.
    /// An entry removed before then is skipped.
    /// </summary>
    public void Defer(LoopEntry entry) => _deferred.Add(entry);

    /// <summary>Any thread: runs <see cref="LoopEntry.OnCommand"/> on the loop.</summary>
    public void EnqueueCommand(LoopEntry entry)
    {
        _commands.Enqueue(entry);
        if (Thread.CurrentThread != _thread)
        {
            Libc.EventFdSignal(_wake);
        }
    }

    public void Remove(LoopEntry entry)
    {
        lock (_gate)
        {
            RemoveSlot(entry);
        }
    }

    /// <summary>Called under the lock.</summary>
    private void AddSlot(LoopEntry entry)
    {
        entry.Slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NewSlot();
        entry.Id = ++_nextId;
        _slots[entry.Slot] = entry;
        _live++;
    }

    /// <summary>Called under the lock.</summary>
    private void RemoveSlot(LoopEntry entry)
    {
        if (_slots[entry.Slot] == entry)
        {
            _slots[entry.Slot] = null;
            _freeSlots.Push(entry.Slot);
            _live--;
        }
    }

    /// <summary>Called under the lock: the table grows by doubling; the loop reads it after epoll_wait.</summary>
    private int NewSlot()
    {
        if (_used == _slots.Length)
        {
            var bigger = new LoopEntry?[_slots.Length * 2];
            Array.Copy(_slots, bigger, _slots.Length);
            Volatile.Write(ref _slots, bigger);
        }

        return _used++;
    }

    /// <summary>
    /// The loop serves every other connection, so one that throws (never expected: continuations
    /// of a dial run here too) is aborted alone and the loop goes on.
    /// </summary>
    private static void Guard(LoopEntry entry, Action<LoopEntry, ulong, uint> action, ulong data, uint flags)
    {
        try
        {
            action(entry, data, flags);
        }
        catch (Exception)
        {
            entry.OnFault();
        }
    }

    /// <summary>Serves the entries deferred so far; those that defer again wait for the next pass.</summary>
    private void ServeDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }

        (_deferred, _serving) = (_serving, _deferred);
        var slots = Volatile.Read(ref _slots);
        foreach (var entry in _serving)
        {
            if (slots[entry.Slot] == entry)
            {
                Guard(entry, static (e, _, _) => e.OnDeferred(), 0, 0);
            }
        }

        _serving.Clear();
    }

    private void Run()
    {
        var events = new byte[Libc.EpollEventSize * MaxEventsPerWait];
        if (_ring is { } ring)
        {
            try
            {
                RunOnRing(ring, events);
            }
            finally
            {
                CloseRing();
                ClearPools();
            }

            return;
        }

        RunOnEpoll(events);
        ClearPools();
    }

    private void RunOnEpoll(byte[] events)
    {
        var poll = new AdaptivePoll(_busyPollTicks);
        while (!_stopping)
        {
            // Busy polling: a reply that comes within the window is handled without the wake-up
            // of a sleeping thread, which is most of a proxy's share of a round trip; the policy
            // polls only while events come that close together.
            var polling = poll.Enabled && poll.ShouldPoll(Stopwatch.GetTimestamp(), Volatile.Read(ref _live) <= BusyPollMaxEntries);
            // An entry deferred at its budget is served on the next pass: poll, do not sleep.
            var count = Libc.EpollWait(_epoll, events, WaitTimeout(polling || _deferred.Count > 0));
            if (count > 0 && poll.Enabled)
            {
                poll.OnEvents(Stopwatch.GetTimestamp());
            }

            if (count < 0)
            {
                if (Libc.LastError == Libc.EINTR)
                {
                    continue;
                }

                throw new InvalidOperationException($"epoll_wait failed: errno {Libc.LastError}");
            }

            HandleEvents(events, count);
            EndPass();
        }
    }

    /// <summary>
    /// What every pass does after its events: the entries deferred at their budget, the commands
    /// other threads queued, and the dials whose deadline passed.
    /// </summary>
    private void EndPass()
    {
        ServeDeferred();
        while (_commands.TryDequeue(out var command))
        {
            Guard(command, static (e, _, _) => e.OnCommand(), 0, 0);
        }

        ExpireConnects();
    }

    private void HandleEvents(byte[] events, int count)
    {
        // Published before the epoll_ctl that could produce these events.
        var slots = Volatile.Read(ref _slots);
        for (var i = 0; i < count; i++)
        {
            var (flags, data) = Libc.EpollEventAt(events, i);
            if (data == WakeToken)
            {
                Libc.EventFdDrain(_wake);
                continue;
            }

            var slot = (int)((uint)data >> 1);
            var entry = slot < slots.Length ? slots[slot] : null;
            if (entry is null || entry.Id != (uint)(data >> 32))
            {
                continue; // an event for a connection that has ended
            }

            Guard(entry, static (e, d, f) => e.OnEvents((int)(d & 1), f), data, flags);
        }
    }

    private void ClearPools()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Clear();
        }
    }

    /// <summary>
    /// Ends the thread after its current pass and waits for it (at most <paramref name="timeout"/>),
    /// then closes the loop's epoll and eventfd. The group stops a loop once nothing is registered
    /// with it any more: every port has stopped.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        Libc.EventFdSignal(_wake);
        if (IsCurrent || !_thread.Join(timeout))
        {
            return false; // still running: its descriptors stay open rather than be reused under it
        }

        CloseDescriptors();
        return true;
    }

    private void CloseDescriptors()
    {
        if (_epoll >= 0)
        {
            Libc.Close(_epoll);
        }

        if (_wake >= 0)
        {
            Libc.Close(_wake);
        }
    }
}

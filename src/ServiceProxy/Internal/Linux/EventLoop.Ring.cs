using System.Numerics;
using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// The loop's io_uring, when the group relays with <see cref="RelayEngine.IoUring"/>: relayed
/// connections and UDP sockets are watched by the ring, and everything else (listeners, dials, the
/// wake-up eventfd) stays in epoll, whose descriptor the ring polls. The loop then sleeps in
/// <c>io_uring_enter</c>, which also submits the pass's receives and sends.
/// </summary>
internal sealed partial class EventLoop
{
    private const ulong EpollReadyToken = ulong.MaxValue - 1;

    /// <summary>The provided buffers' group id; one ring per loop, so one group.</summary>
    private const ushort BufferGroup = 1;

    private const int RingBufferSize = 16 * 1024;

    /// <summary>
    /// Most buffers lent to chained sends at once (<see cref="UringConnection"/>), and never more than
    /// a quarter of the loop's buffers: a chained direction gives its buffer back only once its next
    /// receive completed, which takes another buffer, so an idle one keeps its buffer, and a busy one
    /// briefly holds two. At most 1 MiB a loop.
    /// </summary>
    public const int MaxLentBuffers = 64;

    private IoUring? _ring;
    private IoUringBuffers? _ringBuffers;
    private bool _epollReady;
    private int _ringBuffersHeld;
    private int _ringBuffersLent;
    private long _buffersExhausted;

    /// <summary>Whether this loop relays through io_uring (it was asked to and the kernel allows it).</summary>
    public bool UsesIoUring => _ring is not null;

    /// <summary>Buffers holding bytes that wait to be sent (or lent); the rest are with the kernel.</summary>
    public int RingBuffersHeld => Volatile.Read(ref _ringBuffersHeld);

    /// <summary>Held buffers lent to chained sends, which give them back with their direction's next receive.</summary>
    public int RingBuffersLent => Volatile.Read(ref _ringBuffersLent);

    /// <summary>Buffers allocated so far (a high-water mark).</summary>
    public int RingBuffersAllocated => _ringBuffers?.Allocated ?? 0;

    /// <summary>Receives that found every buffer holding bytes, so that their direction copied without one.</summary>
    public long BufferExhaustions => Volatile.Read(ref _buffersExhausted);

    /// <summary>
    /// Creating thread: the ring, disabled until the loop's thread enables it and so becomes its
    /// only submitter, with up to <see cref="RingSize.Buffers"/> buffers of 16 KiB allocated as
    /// bytes wait to be sent; none (the splice relay) where the kernel refuses.
    /// </summary>
    private void CreateRing(RingSize size)
    {
        var ring = IoUring.TryCreate(size.Entries, out var errno);
        var buffers = ring is null ? null : IoUringBuffers.TryCreate(ring, BufferGroup, (int)BitOperations.RoundUpToPowerOf2((uint)size.Buffers), RingBufferSize, out errno);
        if (buffers is null)
        {
            ring?.Dispose();
            _group.IoUringRefused(errno);
            return;
        }

        _ring = ring;
        _ringBuffers = buffers;
        CreateDatagramBuffers(ring!);
    }

    private ValueTask RelayOnRing(TcpProxyConnection connection, SplicePipePool pipes)
    {
        var relay = UringConnection.TryCreate(this, _ring!, _ringBuffers!, pipes, connection);
        if (relay is null)
        {
            return ValueTask.CompletedTask; // aborted before the handover: its sockets are closed already
        }

        connection.SetAbortHandler(relay);
        Libc.EpollDelete(_epoll, relay.BackendFd); // the dial's registration: the ring watches the socket now
        lock (_gate)
        {
            AddSlot(relay);
        }

        if (IsCurrent)
        {
            relay.Start();
        }
        else
        {
            EnqueueCommand(relay); // the ring takes submissions from its own thread only
        }

        if (connection.IsAborted)
        {
            relay.RequestAbort(); // aborted while the handler was being set
        }

        return relay.Completion;
    }

    /// <summary>Loop thread: a receive found every buffer holding bytes, at the most the loop may allocate.</summary>
    public void BuffersExhausted() => Volatile.Write(ref _buffersExhausted, _buffersExhausted + 1);

    /// <summary>Loop thread: a receive took a buffer from the kernel.</summary>
    public void BufferTaken() => Volatile.Write(ref _ringBuffersHeld, _ringBuffersHeld + 1);

    /// <summary>Loop thread: a buffer went back to the kernel.</summary>
    public void BufferReturned() => Volatile.Write(ref _ringBuffersHeld, _ringBuffersHeld - 1);

    /// <summary>Loop thread: lends a held buffer to a chained send; false at the limit (<see cref="MaxLentBuffers"/>).</summary>
    public bool TryLendBuffer()
    {
        if (_ringBuffersLent >= Math.Min(MaxLentBuffers, _ringBuffers!.Capacity / 4))
        {
            return false;
        }

        Volatile.Write(ref _ringBuffersLent, _ringBuffersLent + 1);
        return true;
    }

    /// <summary>Loop thread: a chain ended (<see cref="RingBuffersLent"/>).</summary>
    public void BufferUnlent() => Volatile.Write(ref _ringBuffersLent, _ringBuffersLent - 1);

    private void RunOnRing(IoUring ring, byte[] events)
    {
        if (!ring.Enable(out var errno))
        {
            throw new InvalidOperationException($"io_uring enable failed: errno {errno}");
        }

        ring.PollMultishot(_epoll, EpollReadyToken);
        _epollReady = true;
        while (!_stopping)
        {
            // Epoll is read without waiting while it may hold more (a full batch, or level-triggered
            // listeners it re-queued), since the ring's poll reports only new wake-ups.
            var timeout = _epollReady || _deferred.Count > 0 ? 0 : WaitTimeout(polling: false);
            if (!ring.SubmitAndWait(timeout, out errno))
            {
                throw new InvalidOperationException($"io_uring_enter failed: errno {errno}");
            }

            AfterSubmission();
            ring.Drain(this, static (loop, data, result, flags) => loop.OnRingCompletion(data, result, flags));
            if (_epollReady)
            {
                var count = Libc.EpollWait(_epoll, events, 0);
                _epollReady = count > 0;
                if (count > 0)
                {
                    HandleEvents(events, count);
                }
            }

            EndPass();
        }
    }

    private void OnRingCompletion(ulong data, int result, uint flags)
    {
        if (data == EpollReadyToken)
        {
            _epollReady = true;
            if ((flags & IoUring.CqeMore) == 0)
            {
                _ring!.PollMultishot(_epoll, EpollReadyToken); // the kernel ended the multishot poll
            }

            return;
        }

        var slots = Volatile.Read(ref _slots);
        var slot = (int)((uint)data >> 3);
        var entry = slot < slots.Length ? slots[slot] : null;
        if (entry is null || entry.Id != (uint)(data >> 32))
        {
            // Never expected: a relay ends only once nothing of it is in flight. A buffer the
            // kernel picked for it still goes back.
            if ((flags & IoUring.CqeBuffer) != 0)
            {
                _ringBuffers!.Return((int)(flags >> IoUring.CqeBufferShift));
            }

            return;
        }

        Guard(entry, static (e, packed, operation) => e.OnCompletion((int)operation, (int)(uint)packed, (uint)(packed >> 32)), ((ulong)flags << 32) | (uint)result, (uint)(data & 7));
    }

    /// <summary>Loop thread, after its last pass: the buffers go before the ring they are registered with.</summary>
    private void CloseRing()
    {
        CloseDatagrams();
        _ringBuffers?.Dispose();
        _ring?.Dispose();
        _ringBuffers = null;
        _ring = null;
    }
}

/// <summary>A loop's ring: <paramref name="Entries"/> submissions, at most <paramref name="Buffers"/> buffers.</summary>
internal readonly record struct RingSize(uint Entries, int Buffers);

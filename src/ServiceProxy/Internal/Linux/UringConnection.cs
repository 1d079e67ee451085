using ServiceProxy.Tcp;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A connection the loop relays through its io_uring (<see cref="RelayEngine.IoUring"/>): each
/// direction receives into a provided buffer and sends it on, as operations that every pass of the
/// loop submits in one <c>io_uring_enter</c> with the wait for the next completions, instead of one
/// recv and one send syscall per message and an epoll_wait. A message that did not fill its buffer
/// goes on as a chain (<see cref="IoUring.SendThenReceive"/>): its send, then the direction's next
/// receive, of which only the receive completes. So the loop wakes once per message and direction,
/// for the next message, rather than first for the send that completed at once and then again.
/// The buffer goes back when that receive completes, so a chained direction holds it while idle:
/// the loop lends buffers to at most <see cref="EventLoop.MaxLentBuffers"/> chains at once, and to no
/// more than a quarter of its buffers, so that chains never take the buffers receives need.
/// Everything but <see cref="LoopRelay.RequestAbort"/> runs on the loop.
/// </summary>
internal sealed unsafe class UringConnection : LoopRelay
{
    // Operations, by the low three bits of their user data; an even one is upstream's, odd downstream's.
    private const int ReceiveUpstream = 0;
    private const int ReceiveDownstream = 1;
    private const int SendUpstream = 2;
    private const int SendDownstream = 3;
    private const int CancelOperation = 4;
    private const int PollUpstream = 6;
    private const int PollDownstream = 7;
    private const uint PollIn = 0x001;
    private const uint PollOut = 0x004;
    private const uint PollRdHup = 0x2000;

    private readonly IoUring _ring;
    private readonly IoUringBuffers _buffers;
    private readonly SplicePipePool _pipes;
    private readonly UringDirection _upstream;
    private readonly UringDirection _downstream;
    private int _inFlight;
    private bool _started;
    private bool _cancelling;
    private bool _finished;

    private UringConnection(EventLoop loop, IoUring ring, IoUringBuffers buffers, SplicePipePool pipes, TcpProxyConnection connection, DescriptorLease client, DescriptorLease backend)
        : base(loop, connection, client, backend)
    {
        _ring = ring;
        _buffers = buffers;
        _pipes = pipes;
        _upstream = new UringDirection(RelayDirection.Upstream, client.Fd, backend.Fd, ReceiveUpstream, SendUpstream, PollUpstream);
        _downstream = new UringDirection(RelayDirection.Downstream, backend.Fd, client.Fd, ReceiveDownstream, SendDownstream, PollDownstream);
    }

    /// <summary>Takes a reference on both sockets; null when one was closed already (the connection was aborted).</summary>
    public static UringConnection? TryCreate(EventLoop loop, IoUring ring, IoUringBuffers buffers, SplicePipePool pipes, TcpProxyConnection connection)
    {
        if (!TryTakeDescriptors(connection, out var client, out var backend))
        {
            return null;
        }

        // io_uring tries each operation without blocking and waits for readiness itself, so the
        // sockets need no O_NONBLOCK: one ioctl fewer per connection than the splice relay.
        return new UringConnection(loop, ring, buffers, pipes, connection, client, backend);
    }

    /// <summary>Loop thread: the first receive of each direction.</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        if (!AbortRequested)
        {
            Receive(_upstream, emptied: false);
            Receive(_downstream, emptied: false);
        }
    }

    /// <summary>The start another thread asked for, or an abort.</summary>
    public override void OnCommand()
    {
        Start();
        if (AbortRequested)
        {
            BeginAbort();
        }
    }

    public override void OnEvents(int side, uint events)
    {
        // The relay's sockets are not in epoll: the ring reports on them.
    }

    public override void OnCompletion(int operation, int result, uint flags)
    {
        _inFlight--;
        var direction = (operation & 1) == 0 ? _upstream : _downstream;
        if (direction.Chained)
        {
            // The chain's one completion: its receive's (the send took every byte), or the send's
            // failure, which dropped the receive.
            ChainEnded(direction, operation);
        }

        if (_finished || _cancelling || AbortRequested)
        {
            if ((flags & IoUring.CqeBuffer) != 0)
            {
                Loop.BufferTaken();
                ReturnBuffer((int)(flags >> IoUring.CqeBufferShift));
            }

            if (_cancelling && _inFlight == 0)
            {
                Finish(aborted: true);
            }

            return;
        }

        var failure = operation switch
        {
            ReceiveUpstream or ReceiveDownstream => Received(direction, result, flags),
            SendUpstream or SendDownstream => Sent(direction, result),
            PollUpstream or PollDownstream => PumpBulk(direction),
            _ => null,
        };

        if (failure is { } reason)
        {
            Connection.Abort(reason); // comes back through RequestAbort
        }
        else if (_upstream.IsDone && _downstream.IsDone)
        {
            Finish(aborted: false);
        }
    }

    private TcpCloseReason? Received(UringDirection direction, int result, uint flags)
    {
        var bufferId = -1;
        if ((flags & IoUring.CqeBuffer) != 0)
        {
            bufferId = (int)(flags >> IoUring.CqeBufferShift);
            Loop.BufferTaken();
        }

        if (result <= 0)
        {
            ReturnBuffer(bufferId); // an end of stream or an error may consume a buffer too
        }

        if (result > 0)
        {
            direction.Hold(bufferId, result);
            Connection.BufferTaken(direction.Direction, result);
            Connection.Touch();
            return result < _buffers.BufferSize && Loop.TryLendBuffer() ? SendChained(direction) : Send(direction);
        }

        if (result == 0)
        {
            direction.IsDone = true;
            Connection.Touch();
            if (!Connection.DirectionCompleted())
            {
                // Half-close: the other direction goes on. After the last one, closing both
                // sockets sends this FIN, one syscall fewer.
                Libc.Shutdown(direction.TargetFd, Libc.SHUT_WR);
            }

            return null;
        }

        switch (-result)
        {
            case Libc.ENOBUFS when _buffers.TryGrow():
            case Libc.EINTR or Libc.EAGAIN:
                Receive(direction, emptied: false);
                return null;
            case Libc.ENOBUFS:
                // Every buffer holds bytes that wait for a slow reader. Waiting for one to come
                // back would let those readers stall every connection of the loop, so this
                // direction copies through the loop's scratch buffer (and holds what its target
                // refuses in its own rented one) until the ring has a buffer again.
                Loop.BuffersExhausted();
                direction.Bulk ??= new SpliceDirection(Connection, direction.Direction, direction.SourceFd, direction.TargetFd);
                Poll(direction.SourceFd, PollIn | PollRdHup, direction.PollOperation);
                return null;
            default:
                return direction.Failure(-result, onTarget: false);
        }
    }

    private TcpCloseReason? Sent(UringDirection direction, int result)
    {
        if (result < 0)
        {
            return -result is Libc.EINTR or Libc.EAGAIN ? Send(direction) : direction.Failure(-result, onTarget: true);
        }

        direction.Advance(result);
        Connection.BufferReleased(direction.Direction, result);
        Connection.AddBytes(direction.Direction, result);
        if (direction.Unsent > 0)
        {
            return Send(direction);
        }

        Connection.Touch();
        var filled = direction.Count == _buffers.BufferSize;
        ReturnBuffer(direction.TakeBuffer());
        if (filled)
        {
            // A full buffer means more is queued: a bulk transfer, which splice moves without
            // copying it through user space.
            (direction.Bulk ??= new SpliceDirection(Connection, direction.Direction, direction.SourceFd, direction.TargetFd)).StartSplicing();
            return PumpBulk(direction);
        }

        // What was read was all there was (it did not fill the buffer), and the peer is still to answer it.
        Receive(direction, emptied: true);
        return null;
    }

    /// <summary>
    /// Moves a bulk phase's bytes until a socket would block, then asks the ring to say when it is
    /// ready again; a small read ends the phase and receives go through the ring again.
    /// </summary>
    private TcpCloseReason? PumpBulk(UringDirection direction)
    {
        var bulk = direction.Bulk!;
        if (bulk.Pump(_pipes, mayStopAfterShortRead: true) is { } failure)
        {
            return failure;
        }

        if (bulk.IsDone)
        {
            direction.IsDone = true; // its end of stream was passed on, as the splice relay does
        }
        else if (bulk.HasPending)
        {
            Poll(direction.TargetFd, PollOut, direction.PollOperation);
        }
        else if (bulk.IsSplicing)
        {
            Poll(direction.SourceFd, PollIn | PollRdHup, direction.PollOperation);
        }
        else
        {
            bulk.ReturnPipe(_pipes); // the phase ended with a small read, which may leave the pipe held
            Receive(direction, emptied: true);
        }

        return null;
    }

    /// <summary>
    /// Settles a chain by its one completion. After its receive's, the send took every byte, and the
    /// buffer goes back. After the send's failure, the buffer and whatever is unsent stay with the
    /// direction, for <see cref="Sent"/> (or the abort) to go on as with any send.
    /// </summary>
    private void ChainEnded(UringDirection direction, int operation)
    {
        direction.Chained = false;
        Loop.BufferUnlent();
        if (operation == direction.ReceiveOperation)
        {
            var sent = direction.Unsent;
            direction.Advance(sent);
            Connection.BufferReleased(direction.Direction, sent);
            Connection.AddBytes(direction.Direction, sent);
            ReturnBuffer(direction.TakeBuffer());
        }
    }

    /// <summary>The bytes held, then the next receive, as one chain (see <see cref="ChainEnded"/>).</summary>
    private TcpCloseReason? SendChained(UringDirection direction)
    {
        _ring.SendThenReceive(direction.TargetFd, _buffers, direction.BufferId, direction.Unsent, direction.SourceFd,
            OperationData(direction.SendOperation), OperationData(direction.ReceiveOperation));
        _inFlight++;
        direction.Chained = true;
        return null;
    }

    private void Poll(int fd, uint events, int operation)
    {
        _ring.PollOnce(fd, events, OperationData(operation));
        _inFlight++;
    }

    /// <param name="direction">The direction.</param>
    /// <param name="emptied">The last read emptied the socket: the kernel waits for data before it tries.</param>
    private void Receive(UringDirection direction, bool emptied)
    {
        _ring.ReceiveSelect(direction.SourceFd, _buffers.Group, _buffers.BufferSize, OperationData(direction.ReceiveOperation), pollFirst: emptied);
        _inFlight++;
    }

    private TcpCloseReason? Send(UringDirection direction)
    {
        _ring.Send(direction.TargetFd, _buffers.Address(direction.BufferId) + direction.Offset, direction.Unsent, OperationData(direction.SendOperation));
        _inFlight++;
        return null;
    }

    private void ReturnBuffer(int id)
    {
        if (id >= 0)
        {
            _buffers.Return(id);
            Loop.BufferReturned();
        }
    }

    /// <summary>Cancels what is in flight on both sockets; the last completion finishes the abort.</summary>
    private void BeginAbort()
    {
        if (_finished || _cancelling)
        {
            return;
        }

        if (_inFlight == 0)
        {
            Finish(aborted: true);
            return;
        }

        _cancelling = true;
        _ring.CancelAllOn(ClientFd, OperationData(CancelOperation));
        _ring.CancelAllOn(BackendFd, OperationData(CancelOperation));
        _inFlight += 2;
    }

    /// <summary>Ends the relay once nothing is in flight: buffers back to the ring and pipes to the pool, then <see cref="LoopRelay.End"/>.</summary>
    private void Finish(bool aborted)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        foreach (var direction in (ReadOnlySpan<UringDirection>)[_upstream, _downstream])
        {
            if (direction.Unsent > 0)
            {
                Connection.BufferReleased(direction.Direction, direction.Unsent);
            }

            ReturnBuffer(direction.TakeBuffer());
            direction.Bulk?.Release(_pipes);
        }

        End(aborted);
    }
}

using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>
/// Drains a UDP socket on one of the server's event loops (Linux, see <see cref="UdpTransport"/>),
/// instead of .NET's socket engine: readiness is edge-triggered, each datagram is read with a plain
/// recv/recvfrom and forwarded at once, and the loops' busy polling applies to UDP too. One
/// datagram is forwarded at a time; a forward that does not complete synchronously pauses the
/// socket until it has. At most <see cref="MaxDatagramsPerWakeUp"/> datagrams are read per turn, as
/// the loops accept connections (<see cref="LoopAcceptor"/>): a flooded socket would otherwise keep
/// its loop until the flood stops, and every TCP relay, dial deadline and abort on that loop with
/// it. What is left is read once the loop's other ready sockets had their turn
/// (<see cref="EventLoop.Defer"/>). The socket's descriptor is held by a SafeHandle
/// reference until the loop lets go, so no close can let the kernel reuse it under a read.
/// </summary>
/// <remarks>
/// .NET's <see cref="Socket.Dispose()"/> spins until every SafeHandle reference is released, so the
/// owner must not dispose the socket while the loop holds it: <see cref="Stop"/> hands the close to
/// the loop, which disposes the socket right after letting go. On a loop with an io_uring the
/// socket is read through the ring instead of epoll (UdpLoopReceiver.Ring.cs).
/// </remarks>
internal abstract partial class UdpLoopReceiver : LoopEntry
{
    private const int MaxDatagramsPerWakeUp = 16;

    private readonly Socket _socket;
    private readonly EventLoop _loop;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DescriptorLease _lease;
    private volatile bool _waiting;
    private volatile bool _stopping;
    private volatile bool _disposeOnRelease;
    private bool _deferred; // loop thread

    protected UdpLoopReceiver(Socket socket, EventLoop loop)
    {
        _socket = socket;
        _loop = loop;
    }

    /// <summary>Completes once the loop has let go of the socket (its descriptor closes then, if disposed).</summary>
    public Task Released => _released.Task;

    /// <summary>The loop that reads the socket.</summary>
    public EventLoop Loop => _loop;

    protected int Fd { get; private set; }

    /// <summary>Registers the socket; false (nothing held) when it is closed already or epoll refused it.</summary>
    public bool Start()
    {
        if (!DescriptorLease.TryTake(_socket, out _lease))
        {
            return false;
        }

        Fd = _lease.Fd;
        Libc.SetNonBlocking(Fd);
        if (_loop.UsesRingForDatagrams)
        {
            StartOnRing();
            return true;
        }

        if (_loop.Register(this, Fd, Libc.EPOLLIN | Libc.EPOLLET, side: 0))
        {
            return true;
        }

        _loop.Remove(this);
        Release();
        return false;
    }

    /// <summary>
    /// Any thread: stop reading, then close the socket on the loop; <see cref="Released"/> completes
    /// once it is closed. Never dispose the socket before that (see the remarks).
    /// </summary>
    public void Stop()
    {
        _disposeOnRelease = true;
        _stopping = true;
        _loop.EnqueueCommand(this);
    }

    public sealed override void OnEvents(int side, uint events)
    {
        if (!_deferred)
        {
            Drain(); // else its deferred turn comes after this pass's events anyway
        }
    }

    public sealed override void OnDeferred()
    {
        _deferred = false;
        Drain();
    }

    public sealed override void OnCommand()
    {
        if (_onRing)
        {
            RingTurn();
        }
        else
        {
            Drain();
        }
    }

    /// <summary>
    /// Reads and forwards one datagram. Returns false when the socket is drained (EAGAIN) or must not
    /// be read any more; <paramref name="forward"/> is the forward still running, if any.
    /// </summary>
    protected abstract bool ReceiveOne(out ValueTask forward);

    protected abstract void OnForwardFailed(Exception exception);

    private void Drain()
    {
        for (var budget = MaxDatagramsPerWakeUp; !_waiting && !_stopping; budget--)
        {
            if (budget == 0)
            {
                if (!_deferred)
                {
                    _deferred = true;
                    _loop.Defer(this); // no EAGAIN seen: more may be queued, and no new edge will say so
                }

                break;
            }

            if (!ReceiveOne(out var forward))
            {
                break;
            }

            PauseWhile(forward);
        }

        if (_stopping && !_waiting)
        {
            _loop.Remove(this);
            Release();
        }
    }

    /// <summary>Loop thread: a forward that did not complete at once pauses the socket until it has.</summary>
    private void PauseWhile(ValueTask forward)
    {
        if (!forward.IsCompletedSuccessfully)
        {
            _waiting = true;
            _ = ResumeAfterAsync(forward);
        }
    }

    private async Task ResumeAfterAsync(ValueTask forward)
    {
        try
        {
            await forward.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            OnForwardFailed(ex);
        }

        _waiting = false;
        _loop.EnqueueCommand(this); // drain what queued meanwhile: its edge was seen while paused
    }

    private void Release()
    {
        if (_onRing)
        {
            _loop.SubmitQueuedDatagrams(); // sends queued for this socket go before its descriptor does
        }

        _lease.Release();

        if (_disposeOnRelease)
        {
            _socket.Dispose();
            OnSocketClosed();
        }

        _released.TrySetResult();
    }

    /// <summary>On the loop, right after the socket was closed (its descriptor is free).</summary>
    protected virtual void OnSocketClosed()
    {
    }
}

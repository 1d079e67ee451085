using System.Net;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>
/// The receiver on a loop with an io_uring (<see cref="EventLoop.UsesRingForDatagrams"/>): one
/// receive in flight on the ring, forwarded when it completes and then submitted again with the
/// loop's next wait, and the datagrams forwarded on this socket queued to the same submission
/// (<see cref="TryQueueSend"/>). So a datagram costs its loop one <c>io_uring_enter</c> per
/// direction. A forward that does not complete at once pauses the socket, as on epoll: no receive
/// is submitted until it has, and the kernel queues (or drops) what arrives meanwhile. One receive
/// at a time also keeps a flooded socket from taking its loop: each pass reads one datagram from it.
/// </summary>
internal abstract partial class UdpLoopReceiver
{
    private const int OpReceive = 0;
    private const int OpSend = 1;
    private const int OpCancel = 2;
    private const int ECANCELED = 125;

    private bool _onRing;
    private bool _receiving; // loop thread
    private bool _cancelling; // loop thread
    private bool _letGo; // loop thread

    /// <summary>Whether the socket is read through the loop's ring rather than epoll.</summary>
    public bool OnRing => _onRing;

    /// <summary>
    /// Loop thread: queues <paramref name="datagram"/> to go out on this socket (to
    /// <paramref name="to"/>, or its peer) with the loop's next submission; the caller's buffer is
    /// free when this returns. False where it must be sent now: not on the ring, not on this loop's
    /// thread, the socket let go, or this pass's send arena full.
    /// </summary>
    /// <remarks>
    /// The send needs no completion when it succeeds, and the caller counts the datagram as sent. A
    /// send the kernel refuses (its buffer full, an ICMP error pending on the socket) completes
    /// with the error at the next pass instead (<see cref="OnSendRefused"/>), which counts a drop.
    /// </remarks>
    public bool TryQueueSend(ReadOnlySpan<byte> datagram, SocketAddress? to) =>
        _onRing && _loop.IsCurrent && !_letGo && _loop.TryQueueDatagram(Fd, datagram, to, OperationData(OpSend));

    /// <summary>The user data of the receive <see cref="SubmitReceive"/> submits.</summary>
    protected ulong ReceiveOperation => OperationData(OpReceive);

    /// <summary>Loop thread: submits the next receive (with <see cref="ReceiveOperation"/>).</summary>
    protected abstract void SubmitReceive();

    /// <summary>
    /// Loop thread: forwards the datagram of <paramref name="length"/> bytes the receive completed
    /// with (<paramref name="flags"/>: its completion's, which name a provided buffer, if any).
    /// </summary>
    protected abstract ValueTask ForwardReceived(int length, uint flags);

    /// <summary>Loop thread: the receive failed with <paramref name="errno"/> (an ICMP error, …).</summary>
    protected abstract void OnReceiveFailed(int errno);

    /// <summary>Loop thread: a send queued with <see cref="TryQueueSend"/> failed with <paramref name="errno"/>.</summary>
    protected abstract void OnSendRefused(int errno);

    public sealed override void OnCompletion(int operation, int result, uint flags)
    {
        if (operation == OpSend)
        {
            OnSendRefused(-result);
            return;
        }

        if (operation != OpReceive)
        {
            return; // the cancel's own completion: the receive's tells what happened
        }

        _receiving = false;
        try
        {
            OnReceived(result, flags);
        }
        finally
        {
            if ((flags & IoUring.CqeBuffer) != 0)
            {
                _loop.DatagramBuffers.Return((int)(flags >> IoUring.CqeBufferShift)); // the datagram was copied or sent
            }
        }

        RingTurn();
    }

    /// <summary>Registers for ring completions; the first receive is submitted from the loop's thread.</summary>
    private void StartOnRing()
    {
        _onRing = true;
        _loop.AddRingEntry(this);
        _loop.EnqueueCommand(this); // the ring takes submissions from its own thread only
    }

    /// <summary>Loop thread: submits the next receive, or moves the stop on.</summary>
    private void RingTurn()
    {
        if (_letGo)
        {
            return;
        }

        if (!_stopping)
        {
            if (!_receiving && !_waiting)
            {
                _receiving = true;
                SubmitReceive();
            }

            return;
        }

        if (_receiving)
        {
            if (!_cancelling)
            {
                _cancelling = true;
                _loop.Ring.CancelAllOn(Fd, OperationData(OpCancel)); // its completion comes with ECANCELED
            }

            return;
        }

        if (!_waiting)
        {
            _letGo = true;
            _loop.Remove(this); // nothing of it is in flight: no completion will look for it
            Release();
        }
    }

    private void OnReceived(int result, uint flags)
    {
        if (result < 0)
        {
            if (result == -Libc.ENOBUFS)
            {
                _loop.DatagramBuffers.TryGrow(); // the next receive finds one (or one given back meanwhile)
            }
            else if (result != -ECANCELED && !_stopping)
            {
                OnReceiveFailed(-result);
            }

            return;
        }

        if (_stopping)
        {
            return;
        }

        ValueTask forward;
        try
        {
            forward = ForwardReceived(result, flags);
        }
        catch (Exception ex)
        {
            OnForwardFailed(ex);
            return;
        }

        PauseWhile(forward);
    }
}

using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>
/// A session's endpoint socket read on an event loop: recv into the loop's one datagram scratch
/// buffer (<see cref="EventLoop.DatagramScratch"/>), or on a loop's ring into a datagram buffer the
/// kernel picks, then the port sends it to the client from there. The send never keeps a reference
/// to the buffer (<see cref="UdpListener.SendToClientAsync"/> copies whatever it cannot send at
/// once), so an idle session holds no buffer and the buffer is free for the next datagram.
/// </summary>
internal sealed unsafe class UdpLoopSession(UdpServicePortProxy port, UdpSession session, Socket socket, EventLoop loop)
    : UdpLoopReceiver(socket, loop)
{
    protected override bool ReceiveOne(out ValueTask forward)
    {
        forward = default;
        var scratch = Loop.DatagramScratch;
        nint received;
        fixed (byte* buffer = scratch)
        {
            do
            {
                received = Libc.Recv(Fd, buffer, (nuint)scratch.Length, Libc.MSG_DONTWAIT);
            }
            while (received < 0 && Libc.LastError == Libc.EINTR);
        }

        if (received < 0)
        {
            var error = Libc.LastError;
            if (error != Libc.EAGAIN && !session.IsClosed)
            {
                // The endpoint's ICMP error (refused, unreachable) marks the session; anything else closes it.
                port.OnSessionFailed(session, Libc.SocketError(error));
            }

            return false;
        }

        try
        {
            forward = port.ForwardToClientAsync(session, scratch.AsMemory(0, (int)received));
        }
        catch (Exception ex)
        {
            OnForwardFailed(ex);
        }

        return true;
    }

    protected override void OnForwardFailed(Exception exception) => port.OnSessionFailed(session, exception);

    protected override void OnSocketClosed() => session.OnSocketClosed();

    protected override void SubmitReceive() =>
        Loop.Ring.ReceiveSelect(Fd, Loop.DatagramBuffers.Group, Loop.DatagramBuffers.BufferSize, ReceiveOperation, pollFirst: true);

    protected override ValueTask ForwardReceived(int length, uint flags) =>
        // Sent from where the kernel put it: the buffer goes back to the kernel only after this
        // returns, and the send copies whatever it cannot send at once. A receive that took no
        // buffer received nothing (a zero-length datagram).
        port.ForwardToClientAsync(session, (flags & IoUring.CqeBuffer) != 0
            ? Loop.ReceivedDatagram((int)(flags >> IoUring.CqeBufferShift), length)
            : ReadOnlyMemory<byte>.Empty);

    protected override void OnReceiveFailed(int errno)
    {
        if (!session.IsClosed)
        {
            port.OnSessionFailed(session, Libc.SocketError(errno)); // an ICMP error marks the session; anything else closes it
        }
    }

    protected override void OnSendRefused(int errno) => port.OnQueuedSendRefused(session, Libc.SocketError(errno).SocketErrorCode);
}

using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>A listen socket read on an event loop: recvfrom into the listener's buffer, then the port forwards.</summary>
internal sealed unsafe class UdpLoopListener(UdpServicePortProxy port, UdpListener listener, Socket socket, EventLoop loop)
    : UdpLoopReceiver(socket, loop)
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(UdpListener.BufferSize, pinned: true);
    private readonly SocketAddress _client = new(socket.AddressFamily);

    protected override bool ReceiveOne(out ValueTask forward)
    {
        forward = default;
        nint received;
        uint length;
        fixed (byte* address = _client.Buffer.Span)
        fixed (byte* buffer = _buffer)
        {
            do
            {
                length = (uint)_client.Buffer.Length;
                received = Libc.RecvFrom(Fd, buffer, (nuint)_buffer.Length, Libc.MSG_DONTWAIT, address, &length);
            }
            while (received < 0 && Libc.LastError == Libc.EINTR);
        }

        if (received < 0)
        {
            var error = Libc.LastError;
            if (error == Libc.EAGAIN)
            {
                return false;
            }

            // An ICMP error about a client we answered, …: the socket itself is fine, so keep listening.
            port.OnListenerReceiveError(listener, Libc.SocketError(error).SocketErrorCode);
            return true;
        }

        _client.Size = (int)length;
        try
        {
            forward = port.ForwardFromClientAsync(listener, _buffer.AsMemory(0, (int)received), _client);
        }
        catch (Exception ex)
        {
            OnForwardFailed(ex);
        }

        return true;
    }

    protected override void OnForwardFailed(Exception exception) => port.OnForwardFailed(listener, exception);
}

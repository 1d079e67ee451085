using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>A listen socket read on an event loop: recvfrom into the listener's buffer, then the port forwards.</summary>
internal sealed unsafe class UdpLoopListener(UdpServicePortProxy port, UdpListener listener, Socket socket, EventLoop loop)
    : UdpLoopReceiver(socket, loop)
{
    // The ring's recvmsg: a msghdr, its one iovec (the buffer) and room for the source address.
    private const int MessageSize = 56;
    private const int IovecOffset = MessageSize;
    private const int AddressOffset = IovecOffset + 16;
    private const int AddressRoom = 128;
    private const int MSG_TRUNC = 0x20;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(UdpListener.BufferSize, pinned: true);
    private readonly SocketAddress _client = new(socket.AddressFamily);
    private byte[]? _message;

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

    protected override void SubmitReceive()
    {
        var message = Message();
        fixed (byte* header = message)
        {
            // Each receive writes the address's length and the flags back; the rest stays as set.
            *(uint*)(header + 8) = AddressRoom; // msg_namelen
            *(int*)(header + 48) = 0; // msg_flags
            Loop.Ring.ReceiveMessage(Fd, header, ReceiveOperation, pollFirst: true);
        }
    }

    /// <summary>The pinned msghdr the ring's recvmsg fills, set up at the first receive: it points at pinned arrays only.</summary>
    private byte[] Message()
    {
        if (_message is { } message)
        {
            return message;
        }

        message = GC.AllocateArray<byte>(AddressOffset + AddressRoom, pinned: true); // zeroed: no control data
        fixed (byte* header = message)
        fixed (byte* buffer = _buffer)
        {
            *(byte**)header = header + AddressOffset; // msg_name
            *(byte**)(header + 16) = header + IovecOffset; // msg_iov
            *(ulong*)(header + 24) = 1; // msg_iovlen
            *(byte**)(header + IovecOffset) = buffer;
            *(ulong*)(header + IovecOffset + 8) = (ulong)_buffer.Length;
        }

        return _message = message;
    }

    protected override ValueTask ForwardReceived(int length, uint flags)
    {
        var message = _message!;
        if ((BitConverter.ToInt32(message, 48) & MSG_TRUNC) != 0) // msg_flags
        {
            port.OnListenerReceiveError(listener, SocketError.MessageSize);
            return default;
        }

        var addressLength = Math.Min(BitConverter.ToInt32(message, 8), Math.Min(AddressRoom, _client.Buffer.Length));
        message.AsSpan(AddressOffset, addressLength).CopyTo(_client.Buffer.Span);
        _client.Size = addressLength;
        return port.ForwardFromClientAsync(listener, _buffer.AsMemory(0, length), _client);
    }

    protected override void OnReceiveFailed(int errno) =>
        port.OnListenerReceiveError(listener, Libc.SocketError(errno).SocketErrorCode);

    protected override void OnSendRefused(int errno) => port.OnQueuedSendRefused(null, Libc.SocketError(errno).SocketErrorCode);
}

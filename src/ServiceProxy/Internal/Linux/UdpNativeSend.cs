using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// Sends a datagram with one non-blocking send/sendto on Linux, without .NET's socket engine: a
/// socket that has never had an async operation stays out of .NET's epoll, so its readiness wakes
/// only the loop that reads it. When the kernel cannot take the datagram now (EAGAIN) the caller
/// falls back to .NET's async send with a copy (<see cref="Udp.UdpTransport"/>).
/// </summary>
internal static class UdpNativeSend
{
    /// <summary>
    /// Bytes sent, or -1 when the send buffer is full. Throws <see cref="ObjectDisposedException"/>
    /// when the socket is closed and <see cref="SocketException"/> when the send failed.
    /// </summary>
    public static unsafe int TrySend(Socket socket, ReadOnlySpan<byte> datagram, SocketAddress? to)
    {
        var lease = DescriptorLease.Take(socket); // the descriptor stays ours for the call
        try
        {
            var fd = lease.Fd;
            nint sent;
            fixed (byte* buffer = datagram)
            {
                if (to is null)
                {
                    do
                    {
                        sent = Libc.Send(fd, buffer, (nuint)datagram.Length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
                    }
                    while (sent < 0 && Libc.LastError == Libc.EINTR);
                }
                else
                {
                    fixed (byte* address = to.Buffer.Span)
                    {
                        do
                        {
                            sent = Libc.SendTo(fd, buffer, (nuint)datagram.Length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL, address, (uint)to.Size);
                        }
                        while (sent < 0 && Libc.LastError == Libc.EINTR);
                    }
                }
            }

            if (sent >= 0)
            {
                return (int)sent;
            }

            var error = Libc.LastError;
            return error == Libc.EAGAIN ? -1 : throw Libc.SocketError(error);
        }
        finally
        {
            lease.Release();
        }
    }
}

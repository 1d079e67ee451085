using System.Net;
using System.Net.Sockets;
using ServiceProxy.Tcp.Splice;

namespace ServiceProxy.Udp;

/// <summary>
/// Sends a datagram with one non-blocking send/sendto on Linux, without .NET's socket engine: a
/// socket that has never had an async operation stays out of .NET's epoll, so its readiness wakes
/// only the loop that reads it. When the kernel cannot take the datagram now (EAGAIN) the caller
/// falls back to .NET's async send with a copy, so the caller's buffer is free on return.
/// </summary>
internal static class UdpNativeSend
{
    private static long s_fallbacks;

    public static bool IsSupported => Libc.IsSupported;

    /// <summary>Sends that found the kernel's buffer full and went through .NET's engine, process-wide.</summary>
    public static long Fallbacks => Interlocked.Read(ref s_fallbacks);

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

    /// <summary>The EAGAIN fallback: a pooled copy sent through .NET's async send.</summary>
    public static async ValueTask<int> SendCopyAsync(ReadOnlyMemory<byte> datagram, Func<ReadOnlyMemory<byte>, ValueTask<int>> send)
    {
        Interlocked.Increment(ref s_fallbacks);
        var copy = UdpBufferPool.Shared.Rent();
        try
        {
            datagram.CopyTo(copy);
            return await send(copy.AsMemory(0, datagram.Length)).ConfigureAwait(false);
        }
        finally
        {
            UdpBufferPool.Shared.Return(copy);
        }
    }
}

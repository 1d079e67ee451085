using System.Buffers.Binary;
using System.Net.Sockets;

namespace ServiceProxy.Internal.Linux;

/// <summary>What the kernel knows of a TCP socket (<c>getsockopt(TCP_INFO)</c>), read without a native library.</summary>
internal static class TcpInfo
{
    private const int IpProtoTcp = 6;
    private const int TcpInfoOption = 11;

    /// <summary><c>tcpi_last_data_recv</c>: milliseconds since the last segment with data arrived.</summary>
    private const int LastDataReceivedOffset = 52;

    /// <summary>
    /// How long ago the kernel last received data on <paramref name="socket"/>, whether or not the
    /// process has read it yet; null where the kernel does not say (not Linux, no socket, closed).
    /// </summary>
    public static TimeSpan? SinceLastDataReceived(Socket? socket)
    {
        if (socket is null || !OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<byte> info = stackalloc byte[104];
        try
        {
            var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfoOption, info);
            return length >= LastDataReceivedOffset + 4
                ? TimeSpan.FromMilliseconds(BinaryPrimitives.ReadUInt32LittleEndian(info[LastDataReceivedOffset..]))
                : null;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }
}

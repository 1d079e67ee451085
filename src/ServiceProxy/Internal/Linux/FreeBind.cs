using System.Net.Sockets;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// <c>IP_FREEBIND</c> / <c>IPV6_FREEBIND</c> on a listening socket: it may bind an address that is
/// not (yet) on any interface. Cluster IPs are such addresses on a node whose service range is
/// routed to it (<c>ip route add local CIDR dev lo</c>): IPv4 binds there anyway through the local
/// route, IPv6 does not without this option. A no-op off Linux.
/// </summary>
internal static class FreeBind
{
    private const int SolIP = 0;
    private const int IpFreeBind = 15;
    private const int SolIPv6 = 41;
    private const int IPv6FreeBind = 78;

    public static void Enable(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Span<byte> one = [1, 0, 0, 0];
        try
        {
            if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            {
                try
                {
                    socket.SetRawSocketOption(SolIPv6, IPv6FreeBind, one);
                    return;
                }
                catch (SocketException)
                {
                    // Kernels before 4.15 have no IPV6_FREEBIND and honour IP_FREEBIND on IPv6 sockets.
                }
            }

            socket.SetRawSocketOption(SolIP, IpFreeBind, one);
        }
        catch (SocketException)
        {
            // Not fatal: the bind that follows then needs a local address, as without the option.
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Host.Quickstart;

/// <summary>Whether quickstart can serve DNS where asked: port 53 needs root (or CAP_NET_BIND_SERVICE) and may be taken.</summary>
internal static class DnsPortProbe
{
    /// <summary>Null when UDP and TCP both bind on <paramref name="address"/> (ADDR:PORT); otherwise why not.</summary>
    public static string? WhyNotBindable(string address)
    {
        if (!IPEndPoint.TryParse(address, out var endpoint))
        {
            return "not ADDR:PORT";
        }

        try
        {
            using var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(endpoint);
            using var tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            tcp.Bind(new IPEndPoint(endpoint.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.AccessDenied => "permission denied",
                SocketError.AddressAlreadyInUse => "in use",
                _ => e.Message,
            };
        }
    }
}

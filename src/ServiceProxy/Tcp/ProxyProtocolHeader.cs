using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tcp;

/// <summary>
/// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that tells a backend who the client
/// is: kube-proxy's userspace mode lost the client IP, since the backend only sees the proxy.
/// </summary>
internal static class ProxyProtocolHeader
{
    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The header for a connection from <paramref name="client"/> to <paramref name="proxy"/> (the address the client dialed).</summary>
    public static byte[] Create(ProxyProtocolVersion version, IPEndPoint client, IPEndPoint proxy)
    {
        var source = Normalize(client);
        var destination = Normalize(proxy);
        if (source.AddressFamily != destination.AddressFamily)
        {
            // Mixed families cannot be described; both specs say to send UNKNOWN / LOCAL then.
            return version == ProxyProtocolVersion.V1 ? "PROXY UNKNOWN\r\n"u8.ToArray() : Local();
        }

        return version switch
        {
            ProxyProtocolVersion.V1 => V1(source, destination),
            ProxyProtocolVersion.V2 => V2(source, destination),
            _ => throw new ArgumentOutOfRangeException(nameof(version), version, "no header for this version"),
        };
    }

    public static async ValueTask SendAsync(Socket backend, ProxyProtocolVersion version, IPEndPoint client, IPEndPoint proxy, CancellationToken cancellationToken)
    {
        var header = Create(version, client, proxy);
        for (var sent = 0; sent < header.Length;)
        {
            sent += await backend.SendAsync(header.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    private static byte[] V1(IPEndPoint source, IPEndPoint destination)
    {
        var family = source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes($"PROXY {family} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");
    }

    private static byte[] V2(IPEndPoint source, IPEndPoint destination)
    {
        var ipv4 = source.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 4 : 16;
        var header = new byte[16 + (2 * addressLength) + 4];
        V2Signature.CopyTo(header);
        header[12] = 0x21; // version 2, command PROXY
        header[13] = (byte)(ipv4 ? 0x11 : 0x21); // TCP over IPv4 / IPv6
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(header.Length - 16));
        source.Address.TryWriteBytes(header.AsSpan(16, addressLength), out _);
        destination.Address.TryWriteBytes(header.AsSpan(16 + addressLength, addressLength), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + (2 * addressLength)), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + (2 * addressLength)), (ushort)destination.Port);
        return header;
    }

    private static byte[] Local()
    {
        var header = new byte[16];
        V2Signature.CopyTo(header);
        header[12] = 0x20; // version 2, command LOCAL, no address block
        return header;
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}

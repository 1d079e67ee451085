using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Hosting;

/// <summary>
/// The client ranges one listener accepts (<see cref="Configuration.ListenerConfig.AllowedSources"/>),
/// checked at accept, before any endpoint is picked. Every address and range is held as 128 bits,
/// an IPv4 one in its IPv4-mapped IPv6 form, so a check is one AND and one compare per range
/// with no allocation, whichever family the client and the socket are. A listener without ranges
/// has no list at all (null), so it pays nothing.
/// </summary>
internal sealed class SourceAllowList
{
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    // Two lists, so a client is only compared with the ranges of its own family: an IPv6 range
    // such as ::/0 holds no IPv4 client, as kube-proxy's per-family rules hold none.
    private readonly (UInt128 Network, UInt128 Mask)[] _ipv4;
    private readonly (UInt128 Network, UInt128 Mask)[] _ipv6;

    private SourceAllowList(ImmutableArray<IPNetwork> ranges)
    {
        var ipv4 = new List<(UInt128, UInt128)>();
        var ipv6 = new List<(UInt128, UInt128)>();
        foreach (var range in ranges)
        {
            var isIPv4 = range.BaseAddress.AddressFamily == AddressFamily.InterNetwork || range.BaseAddress.IsIPv4MappedToIPv6;
            var prefix = range.PrefixLength + (range.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 96 : 0);
            var mask = prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
            (isIPv4 ? ipv4 : ipv6).Add((ToUInt128(range.BaseAddress) & mask, mask));
        }

        _ipv4 = [.. ipv4];
        _ipv6 = [.. ipv6];
    }

    /// <summary>The list for <paramref name="ranges"/>, or null when there are none (every client is accepted).</summary>
    public static SourceAllowList? Create(ImmutableArray<IPNetwork>? ranges) =>
        ranges is { IsDefaultOrEmpty: false } r ? new SourceAllowList(r) : null;

    /// <summary>Whether <paramref name="client"/> is in one of the ranges.</summary>
    public bool Allows(IPAddress client) => Allows(ToUInt128(client));

    /// <summary>Whether the client whose socket address is <paramref name="client"/> is in one of the ranges.</summary>
    public bool Allows(SocketAddress client)
    {
        var bytes = client.Buffer.Span;
        return client.Family switch
        {
            // sockaddr_in: family (2), port (2), address (4); sockaddr_in6: family, port, flow info (4), address (16).
            AddressFamily.InterNetwork when bytes.Length >= 8 => Allows(MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes[4..])),
            AddressFamily.InterNetworkV6 when bytes.Length >= 24 => Allows(BinaryPrimitives.ReadUInt128BigEndian(bytes[8..])),
            _ => false,
        };
    }

    private bool Allows(UInt128 address)
    {
        var ranges = (address >> 32) == 0xFFFF ? _ipv4 : _ipv6;
        foreach (var (network, mask) in ranges)
        {
            if ((address & mask) == network)
            {
                return true;
            }
        }

        return false;
    }

    private static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4
            ? MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.Dns.Internal;

/// <summary>Domain names in text and wire form (RFC 1035 §3.1): labels of 1–63 bytes, at most 255 bytes in all.</summary>
internal static class DnsNames
{
    public const int MaxWireLength = 255;

    /// <summary>Lower case, without the trailing dot; throws <see cref="ArgumentException"/> for a name that cannot be encoded.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        var lower = trimmed.ToLowerInvariant();
        _ = Encode(lower);
        return lower;
    }

    /// <summary>The wire form of <paramref name="name"/> (lower case, no compression), ending with the root label.</summary>
    public static byte[] Encode(string name)
    {
        if (name.Length == 0)
        {
            return [0];
        }

        if (!Ascii.IsValid(name))
        {
            throw new ArgumentException($"\"{name}\" is not an ASCII domain name", nameof(name));
        }

        var wire = new byte[name.Length + 2];
        var at = 0;
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                throw new ArgumentException($"\"{name}\" has a label of {label.Length} bytes (1-63 allowed)", nameof(name));
            }

            wire[at++] = (byte)label.Length;
            at += Encoding.ASCII.GetBytes(label.ToLowerInvariant(), wire.AsSpan(at));
        }

        if (at + 1 > MaxWireLength)
        {
            throw new ArgumentException($"\"{name}\" is longer than 255 bytes in wire form", nameof(name));
        }

        return wire;
    }

    /// <summary>The text form of a wire name (no compression), lower case, without the trailing dot.</summary>
    public static string Decode(ReadOnlySpan<byte> wire)
    {
        var text = new StringBuilder();
        var at = 0;
        while (at < wire.Length && wire[at] != 0)
        {
            if (text.Length > 0)
            {
                text.Append('.');
            }

            var length = wire[at];
            text.Append(Encoding.ASCII.GetString(wire.Slice(at + 1, length)));
            at += length + 1;
        }

        return text.ToString();
    }

    /// <summary><c>d.c.b.a.in-addr.arpa</c> for IPv4, the nibbles under <c>ip6.arpa</c> for IPv6.</summary>
    public static string ReverseName(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        var name = new StringBuilder();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (var i = bytes.Length - 1; i >= 0; i--)
            {
                name.Append(bytes[i]).Append('.');
            }

            return name.Append("in-addr.arpa").ToString();
        }

        const string hex = "0123456789abcdef";
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            name.Append(hex[bytes[i] & 0xF]).Append('.').Append(hex[bytes[i] >> 4]).Append('.');
        }

        return name.Append("ip6.arpa").ToString();
    }

    /// <summary>Whether the wire name <paramref name="name"/> is <paramref name="zone"/> or below it, on a label boundary.</summary>
    public static bool IsAtOrBelow(ReadOnlySpan<byte> name, ReadOnlySpan<byte> zone)
    {
        var at = 0;
        while (name.Length - at >= zone.Length)
        {
            if (name.Length - at == zone.Length)
            {
                return name[at..].SequenceEqual(zone);
            }

            if (name[at] == 0)
            {
                return false;
            }

            at += name[at] + 1;
        }

        return false;
    }

    /// <summary>The wire name one label up (<c>b.c</c> for <c>a.b.c</c>); empty at the root.</summary>
    public static ReadOnlySpan<byte> Parent(ReadOnlySpan<byte> name) => name[0] == 0 ? [] : name[(name[0] + 1)..];
}

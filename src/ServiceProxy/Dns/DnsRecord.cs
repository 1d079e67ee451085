using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.Dns.Internal;

namespace ServiceProxy.Dns;

/// <summary>
/// One resource record of a <see cref="DnsZone"/>: an owner name, a type and its data, already in
/// wire format. Names are compared without case and kept in lower case, without the trailing dot.
/// The time to live is the zone's.
/// </summary>
public sealed class DnsRecord : IEquatable<DnsRecord>
{
    private DnsRecord(string name, DnsRecordType type, byte[] data, string text)
    {
        Name = name;
        NameWire = DnsNames.Encode(name);
        Type = type;
        Data = data;
        Text = text;
    }

    /// <summary>The owner name, in lower case, without the trailing dot (<c>myapp.default.svc.cluster.local</c>).</summary>
    public string Name { get; }

    /// <summary>The record's type.</summary>
    public DnsRecordType Type { get; }

    /// <summary>The data as a zone file shows it (<c>10.96.0.10</c>, <c>0 100 80 myapp.default.svc.cluster.local.</c>).</summary>
    public string Text { get; }

    internal byte[] NameWire { get; }

    internal byte[] Data { get; }

    /// <summary>An A record.</summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not IPv4, or the name is not a valid DNS name.</exception>
    public static DnsRecord A(string name, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        }

        return new(DnsNames.Normalize(name), DnsRecordType.A, address.GetAddressBytes(), address.ToString());
    }

    /// <summary>An AAAA record.</summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not IPv6, or the name is not a valid DNS name.</exception>
    public static DnsRecord Aaaa(string name, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"{address} is not an IPv6 address", nameof(address));
        }

        return new(DnsNames.Normalize(name), DnsRecordType.Aaaa, address.GetAddressBytes(), address.ToString());
    }

    /// <summary>An A or AAAA record, by the address's family.</summary>
    public static DnsRecord Address(string name, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? Aaaa(name, address) : A(name, address);
    }

    /// <summary>A CNAME record: <paramref name="name"/> is an alias of <paramref name="target"/>.</summary>
    public static DnsRecord Cname(string name, string target)
    {
        var canonical = DnsNames.Normalize(target);
        return new(DnsNames.Normalize(name), DnsRecordType.Cname, DnsNames.Encode(canonical), canonical + ".");
    }

    /// <summary>An NS record: <paramref name="target"/> serves the zone <paramref name="name"/>.</summary>
    public static DnsRecord Ns(string name, string target)
    {
        var server = DnsNames.Normalize(target);
        return new(DnsNames.Normalize(name), DnsRecordType.Ns, DnsNames.Encode(server), server + ".");
    }

    /// <summary>A PTR record: <paramref name="name"/> (under <c>in-addr.arpa</c> or <c>ip6.arpa</c>) points to <paramref name="target"/>.</summary>
    public static DnsRecord Ptr(string name, string target)
    {
        var pointer = DnsNames.Normalize(target);
        return new(DnsNames.Normalize(name), DnsRecordType.Ptr, DnsNames.Encode(pointer), pointer + ".");
    }

    /// <summary>The PTR record of <paramref name="address"/> (<c>10.0.96.10.in-addr.arpa</c>) pointing to <paramref name="target"/>.</summary>
    public static DnsRecord Ptr(IPAddress address, string target) => Ptr(DnsNames.ReverseName(address), target);

    /// <summary>A TXT record of one string (at most 255 bytes of ASCII).</summary>
    public static DnsRecord Txt(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 255 || !Ascii.IsValid(text))
        {
            throw new ArgumentException("a TXT string is at most 255 ASCII characters", nameof(text));
        }

        var data = new byte[text.Length + 1];
        data[0] = (byte)text.Length;
        Encoding.ASCII.GetBytes(text, data.AsSpan(1));
        return new(DnsNames.Normalize(name), DnsRecordType.Txt, data, $"\"{text}\"");
    }

    /// <summary>An SRV record: the service <paramref name="name"/> is at <paramref name="target"/>:<paramref name="port"/>.</summary>
    public static DnsRecord Srv(string name, ushort priority, ushort weight, ushort port, string target)
    {
        var host = DnsNames.Normalize(target);
        var hostWire = DnsNames.Encode(host);
        var data = new byte[6 + hostWire.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, priority);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), weight);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4), port);
        hostWire.CopyTo(data, 6);
        return new(DnsNames.Normalize(name), DnsRecordType.Srv, data, $"{priority} {weight} {port} {host}.");
    }

    /// <summary>
    /// Makes <paramref name="name"/> exist without data, so it answers NODATA rather than NXDOMAIN
    /// (a headless Service with no ready endpoint).
    /// </summary>
    public static DnsRecord NameOnly(string name) => new(DnsNames.Normalize(name), DnsRecordType.None, [], string.Empty);

    /// <inheritdoc/>
    public bool Equals(DnsRecord? other) =>
        other is not null && Type == other.Type && Name == other.Name && Data.AsSpan().SequenceEqual(other.Data);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as DnsRecord);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Type, Text);

    /// <summary>The record as a zone file line without the TTL: <c>name. IN A 10.96.0.10</c>.</summary>
    public override string ToString() => $"{Name}. IN {Type.ToString().ToUpperInvariant()} {Text}";
}

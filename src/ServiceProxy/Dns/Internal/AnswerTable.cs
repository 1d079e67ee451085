using System.Buffers.Binary;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// One published version of a zone: name → compiled answers, in shards by the name's hash so a
/// change rebuilds only the shards it touches, and the zone's SOA record for negative answers.
/// Never changed once published; readers take it with one volatile read.
/// </summary>
internal sealed class AnswerTable
{
    public const int ShardCount = 256;

    private readonly Dictionary<byte[], NameAnswers>[] _shards;

    public AnswerTable(byte[] origin, Dictionary<byte[], NameAnswers>[] shards, byte[] soa)
    {
        Origin = origin;
        _shards = shards;
        Soa = soa;
    }

    /// <summary>The zone's name in wire form: names at or below it that are not in the table do not exist (NXDOMAIN).</summary>
    public byte[] Origin { get; }

    /// <summary>The zone's SOA record, whole (owner name uncompressed), for the authority section of negative answers.</summary>
    public byte[] Soa { get; }

    public Dictionary<byte[], NameAnswers>[] Shards => _shards;

    public static int ShardOf(int hash) => (int)((uint)hash % ShardCount);

    public NameAnswers? Find(ReadOnlySpan<byte> name)
    {
        var shard = _shards[ShardOf(WireNameComparer.Hash(name))];
        return shard.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var answers) ? answers : null;
    }

    /// <summary>
    /// <c>origin SOA ns.dns.origin hostmaster.origin serial 7200 1800 86400 ttl</c>, as CoreDNS's
    /// kubernetes plugin writes it; the minimum (negative caching TTL) is the zone's TTL.
    /// </summary>
    public static byte[] BuildSoa(string origin, uint ttl, uint serial)
    {
        var owner = DnsNames.Encode(origin);
        var mname = DnsNames.Encode(origin.Length == 0 ? "ns.dns" : "ns.dns." + origin);
        var rname = DnsNames.Encode(origin.Length == 0 ? "hostmaster" : "hostmaster." + origin);
        var data = mname.Length + rname.Length + 20;
        var soa = new byte[owner.Length + 10 + data];
        var at = 0;
        owner.CopyTo(soa, at);
        at += owner.Length;
        BinaryPrimitives.WriteUInt16BigEndian(soa.AsSpan(at), DnsWire.TypeSoa);
        BinaryPrimitives.WriteUInt16BigEndian(soa.AsSpan(at + 2), DnsWire.ClassIn);
        BinaryPrimitives.WriteUInt32BigEndian(soa.AsSpan(at + 4), ttl);
        BinaryPrimitives.WriteUInt16BigEndian(soa.AsSpan(at + 8), (ushort)data);
        at += 10;
        mname.CopyTo(soa, at);
        at += mname.Length;
        rname.CopyTo(soa, at);
        at += rname.Length;
        BinaryPrimitives.WriteUInt32BigEndian(soa.AsSpan(at), serial);
        BinaryPrimitives.WriteUInt32BigEndian(soa.AsSpan(at + 4), 7200);
        BinaryPrimitives.WriteUInt32BigEndian(soa.AsSpan(at + 8), 1800);
        BinaryPrimitives.WriteUInt32BigEndian(soa.AsSpan(at + 12), 86400);
        BinaryPrimitives.WriteUInt32BigEndian(soa.AsSpan(at + 16), ttl);
        return soa;
    }
}

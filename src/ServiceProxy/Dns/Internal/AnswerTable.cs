using System.Buffers.Binary;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// One published version of a zone: name → compiled answers, in shards by the name's hash so a
/// change rebuilds only the shards it touches, and the zone's SOA record for negative answers.
/// The shards sit in groups, and a change copies the array of groups, the group of each shard it
/// rebuilds, and those shards: some ten names each in a zone of 10 000 Services, where one level
/// of 256 shards copied shards of a hundred names or more. Never changed once published; readers
/// take it with one volatile read.
/// </summary>
internal sealed class AnswerTable
{
    public const int GroupSize = 64;

    public const int ShardCount = GroupSize * GroupSize;

    private static readonly Dictionary<byte[], NameAnswers> EmptyShard = new(WireNameComparer.Instance);

    private readonly Dictionary<byte[], NameAnswers>[][] _groups;

    private AnswerTable(byte[] origin, Dictionary<byte[], NameAnswers>[][] groups, byte[] soa)
    {
        Origin = origin;
        _groups = groups;
        Soa = soa;
    }

    /// <summary>The zone's name in wire form: names at or below it that are not in the table do not exist (NXDOMAIN).</summary>
    public byte[] Origin { get; }

    /// <summary>The zone's SOA record, whole (owner name uncompressed), for the authority section of negative answers.</summary>
    public byte[] Soa { get; }

    /// <summary>Every shard, in shard order.</summary>
    public IEnumerable<Dictionary<byte[], NameAnswers>> Shards => _groups.SelectMany(group => group);

    public static int ShardOf(int hash) => (int)((uint)hash % ShardCount);

    /// <summary>A table with no names.</summary>
    public static AnswerTable Empty(byte[] origin, byte[] soa)
    {
        var groups = new Dictionary<byte[], NameAnswers>[GroupSize][];
        for (var g = 0; g < GroupSize; g++)
        {
            groups[g] = new Dictionary<byte[], NameAnswers>[GroupSize];
            Array.Fill(groups[g], EmptyShard);
        }

        return new AnswerTable(origin, groups, soa);
    }

    /// <summary>
    /// This table with the given shards replaced (<paramref name="rebuild"/> returns a shard's new
    /// contents), sharing every group that holds none of them.
    /// </summary>
    public AnswerTable With(IEnumerable<int> shards, Func<int, Dictionary<byte[], NameAnswers>> rebuild, byte[] soa)
    {
        var groups = (Dictionary<byte[], NameAnswers>[][])_groups.Clone();
        foreach (var shard in shards)
        {
            var g = shard / GroupSize;
            if (ReferenceEquals(groups[g], _groups[g]))
            {
                groups[g] = (Dictionary<byte[], NameAnswers>[])_groups[g].Clone();
            }

            var contents = rebuild(shard);
            groups[g][shard % GroupSize] = contents.Count == 0 ? EmptyShard : contents;
        }

        return new AnswerTable(Origin, groups, soa);
    }

    public NameAnswers? Find(ReadOnlySpan<byte> name)
    {
        var index = ShardOf(WireNameComparer.Hash(name));
        var shard = _groups[index / GroupSize][index % GroupSize];
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

using System.Buffers.Binary;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// The answer section for one name and type, ready to copy after the question: each record's owner
/// is a compression pointer to the question's name (offset 12). Empty with <see cref="Negative"/>
/// for a name that exists without that type (NODATA: the zone's SOA goes in the authority section).
/// </summary>
internal sealed class CompiledAnswer(byte[] records, ushort count)
{
    public static readonly CompiledAnswer NoData = new([], 0);

    public byte[] Records { get; } = records;

    public ushort Count { get; } = count;

    public bool Negative => Count == 0;

    /// <summary>
    /// For SRV and NS answers, the distinct targets (wire form): their addresses go in the additional
    /// section, looked up in the same table as the answer, so they never lag behind it.
    /// </summary>
    public byte[][] Targets { get; private init; } = [];

    /// <summary>An answer whose records name hosts (SRV: after priority, weight and port; NS: the whole data).</summary>
    public static CompiledAnswer? CompileWithTargets(IEnumerable<DnsRecord> records, uint ttl, int targetOffset)
    {
        var list = records.ToList();
        return Compile(list, ttl) is { } answer
            ? new CompiledAnswer(answer.Records, answer.Count)
            {
                Targets = [.. list.Select(r => r.Data[targetOffset..]).DistinctBy(Convert.ToHexString)],
            }
            : null;
    }

    public static CompiledAnswer? Compile(IEnumerable<DnsRecord> records, uint ttl)
    {
        var list = records.ToList();
        if (list.Count == 0)
        {
            return null;
        }

        var bytes = new byte[list.Sum(r => 12 + r.Data.Length)];
        var at = 0;
        foreach (var record in list)
        {
            at += WriteRecord(bytes.AsSpan(at), record.Type, ttl, record.Data);
        }

        return new CompiledAnswer(bytes, (ushort)list.Count);
    }

    /// <summary>One record owned by the question's name: pointer, type, class IN, TTL, data.</summary>
    private static int WriteRecord(Span<byte> to, DnsRecordType type, uint ttl, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt16BigEndian(to, 0xC00C);
        BinaryPrimitives.WriteUInt16BigEndian(to[2..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(to[4..], DnsWire.ClassIn);
        BinaryPrimitives.WriteUInt32BigEndian(to[6..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(to[10..], (ushort)data.Length);
        data.CopyTo(to[12..]);
        return 12 + data.Length;
    }
}

/// <summary>Every answer of one name, compiled once per change of the name's records.</summary>
internal sealed class NameAnswers
{
    public static readonly NameAnswers EmptyNonTerminal = new();

    public CompiledAnswer? A { get; init; }

    public CompiledAnswer? Ns { get; init; }

    public CompiledAnswer? Aaaa { get; init; }

    public CompiledAnswer? Cname { get; init; }

    public CompiledAnswer? Ptr { get; init; }

    public CompiledAnswer? Txt { get; init; }

    public CompiledAnswer? Srv { get; init; }

    public CompiledAnswer? Any { get; init; }

    /// <summary>The zone's own name: SOA queries get the zone's SOA record.</summary>
    public bool IsApex { get; init; }

    public static NameAnswers Compile(IReadOnlyCollection<DnsRecord> records, uint ttl, bool apex)
    {
        if (records.Count == 0)
        {
            return apex ? new NameAnswers { IsApex = true } : EmptyNonTerminal;
        }

        // Order within a type is the order the records were given, so answers are stable.
        return new NameAnswers
        {
            A = CompiledAnswer.Compile(records.Where(r => r.Type == DnsRecordType.A), ttl),
            Aaaa = CompiledAnswer.Compile(records.Where(r => r.Type == DnsRecordType.Aaaa), ttl),
            Cname = CompiledAnswer.Compile(records.Where(r => r.Type == DnsRecordType.Cname).Take(1), ttl),
            Ptr = CompiledAnswer.Compile(records.Where(r => r.Type == DnsRecordType.Ptr), ttl),
            Txt = CompiledAnswer.Compile(records.Where(r => r.Type == DnsRecordType.Txt), ttl),
            Ns = CompiledAnswer.CompileWithTargets(records.Where(r => r.Type == DnsRecordType.Ns), ttl, 0),
            Srv = CompiledAnswer.CompileWithTargets(records.Where(r => r.Type == DnsRecordType.Srv), ttl, 6),
            Any = CompiledAnswer.Compile(records.Where(r => r.Type != DnsRecordType.None).OrderBy(r => r.Type), ttl),
            IsApex = apex,
        };
    }

    /// <summary>
    /// The answer to <paramref name="type"/>: its records; the CNAME for any other type when the name
    /// is an alias (the client follows it); otherwise NODATA.
    /// </summary>
    public CompiledAnswer Get(ushort type)
    {
        var answer = type switch
        {
            DnsWire.TypeA => A,
            DnsWire.TypeNs => Ns,
            DnsWire.TypeAaaa => Aaaa,
            DnsWire.TypeCname => Cname,
            DnsWire.TypePtr => Ptr,
            DnsWire.TypeTxt => Txt,
            DnsWire.TypeSrv => Srv,
            DnsWire.TypeAny => Any,
            _ => null,
        };
        return answer ?? Cname ?? CompiledAnswer.NoData;
    }
}

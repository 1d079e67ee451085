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

    /// <summary>
    /// The records of <paramref name="type"/>, an answer whose records name hosts (SRV: after
    /// priority, weight and port; NS: the whole data), with its distinct targets in record order.
    /// </summary>
    public static CompiledAnswer? CompileWithTargets(List<DnsRecord> records, DnsRecordType type, uint ttl, int targetOffset)
    {
        if (Compile(records, [type], ttl) is not { } answer)
        {
            return null;
        }

        var targets = new List<byte[]>(answer.Count);
        foreach (var record in records)
        {
            if (record.Type == type && !Contains(targets, record.Data.AsSpan(targetOffset)))
            {
                targets.Add(record.Data[targetOffset..]);
            }
        }

        return new CompiledAnswer(answer.Records, answer.Count) { Targets = [.. targets] };
    }

    /// <summary>
    /// The records of <paramref name="types"/>, type after type in that order and, within a type, in
    /// the order given; at most <paramref name="perType"/> of each. Null when there are none.
    /// </summary>
    public static CompiledAnswer? Compile(List<DnsRecord> records, ReadOnlySpan<DnsRecordType> types, uint ttl, int perType = int.MaxValue)
    {
        var (count, size) = Walk(records, types, ttl, perType, []);
        if (count == 0)
        {
            return null;
        }

        var bytes = new byte[size];
        Walk(records, types, ttl, perType, bytes);
        return new CompiledAnswer(bytes, (ushort)count);
    }

    /// <summary>
    /// Counts the records <see cref="Compile"/> takes and the bytes they need; given room in
    /// <paramref name="into"/>, also writes them there.
    /// </summary>
    private static (int Count, int Size) Walk(List<DnsRecord> records, ReadOnlySpan<DnsRecordType> types, uint ttl, int perType, Span<byte> into)
    {
        var count = 0;
        var size = 0;
        foreach (var type in types)
        {
            var taken = 0;
            foreach (var record in records)
            {
                if (record.Type != type || taken == perType)
                {
                    continue;
                }

                taken++;
                if (!into.IsEmpty)
                {
                    WriteRecord(into[size..], type, ttl, record.Data);
                }

                size += 12 + record.Data.Length;
            }

            count += taken;
        }

        return (count, size);
    }

    private static bool Contains(List<byte[]> targets, ReadOnlySpan<byte> target)
    {
        foreach (var known in targets)
        {
            if (target.SequenceEqual(known))
            {
                return true;
            }
        }

        return false;
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

    /// <summary>Every record type, in the order an ANY answer lists them (ascending type number).</summary>
    private static readonly DnsRecordType[] AnyOrder = [.. Enum.GetValues<DnsRecordType>().Where(t => t != DnsRecordType.None).Order()];

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

    public static NameAnswers Compile(List<DnsRecord> records, uint ttl, bool apex)
    {
        if (records.Count == 0)
        {
            return apex ? new NameAnswers { IsApex = true } : EmptyNonTerminal;
        }

        // Order within a type is the order the records were given, so answers are stable.
        return new NameAnswers
        {
            A = CompiledAnswer.Compile(records, [DnsRecordType.A], ttl),
            Aaaa = CompiledAnswer.Compile(records, [DnsRecordType.Aaaa], ttl),
            Cname = CompiledAnswer.Compile(records, [DnsRecordType.Cname], ttl, perType: 1),
            Ptr = CompiledAnswer.Compile(records, [DnsRecordType.Ptr], ttl),
            Txt = CompiledAnswer.Compile(records, [DnsRecordType.Txt], ttl),
            Ns = CompiledAnswer.CompileWithTargets(records, DnsRecordType.Ns, ttl, 0),
            Srv = CompiledAnswer.CompileWithTargets(records, DnsRecordType.Srv, ttl, 6),
            Any = CompiledAnswer.Compile(records, AnyOrder, ttl),
            IsApex = apex,
        };
    }

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

using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ServiceProxy.Dns.Internal;

/// <summary>What to do with one query.</summary>
internal enum DnsOutcome
{
    /// <summary>Send the response written.</summary>
    Reply,

    /// <summary>Send nothing (not a query, or too short to answer).</summary>
    Drop,

    /// <summary>The name is outside the zone: forward the query as it came.</summary>
    Forward,
}

/// <summary>
/// Answers one query from the zone's current <see cref="AnswerTable"/>: the header and question are
/// copied from the query, the answer section from the compiled answer, and for negative answers the
/// zone's SOA. Nothing is allocated; the caller owns both buffers.
/// </summary>
internal sealed class DnsResponder(DnsZone zone, bool forwarding, ushort maxUdpPayload)
{
    public bool Forwarding => forwarding;

    /// <summary>
    /// Writes the response to <paramref name="query"/> into <paramref name="response"/> (65 535 bytes).
    /// <paramref name="udp"/>: the response must fit the client's UDP size (512 bytes, or its EDNS0
    /// payload size up to the server's), else it is truncated (TC) and the client retries over TCP.
    /// For <see cref="DnsOutcome.Forward"/>, <paramref name="length"/> is where the question ends.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DnsOutcome Respond(ReadOnlySpan<byte> query, Span<byte> response, bool udp, out int length)
    {
        Span<byte> name = stackalloc byte[DnsNames.MaxWireLength];
        var parsed = DnsQuery.Parse(query, name);
        length = 0;
        if (parsed.Ignore)
        {
            return DnsOutcome.Drop;
        }

        if (parsed.Error != 0)
        {
            // The question is echoed only when it could be read; the header alone otherwise.
            length = WriteHeader(response, parsed, parsed.Error, authoritative: false, questions: parsed.QuestionEnd > 0 && parsed.Error != DnsWire.RcodeFormErr);
            if (length > DnsWire.HeaderLength)
            {
                query[DnsWire.HeaderLength..parsed.QuestionEnd].CopyTo(response[DnsWire.HeaderLength..]);
                length = parsed.QuestionEnd;
            }

            return DnsOutcome.Reply;
        }

        if (parsed.HasEdns && parsed.EdnsVersion != 0)
        {
            return Finish(query, response, parsed, DnsWire.RcodeNoError, [], 0, negative: false, authoritative: false, udp, out length, DnsWire.ExtendedRcodeBadVers);
        }

        if (parsed.Class is not (DnsWire.ClassIn or DnsWire.ClassAny))
        {
            return Finish(query, response, parsed, DnsWire.RcodeRefused, [], 0, negative: false, authoritative: false, udp, out length);
        }

        switch (parsed.Type)
        {
            case DnsWire.TypeAxfr or DnsWire.TypeIxfr:
                return Finish(query, response, parsed, DnsWire.RcodeRefused, [], 0, negative: false, authoritative: false, udp, out length);
            case DnsWire.TypeMailA or DnsWire.TypeMailB:
                return Finish(query, response, parsed, DnsWire.RcodeNotImp, [], 0, negative: false, authoritative: false, udp, out length);
        }

        var table = zone.Table;
        var key = name[..parsed.NameLength];
        if (table.Find(key) is { } answers)
        {
            if (answers.IsApex && parsed.Type == DnsWire.TypeSoa)
            {
                return Finish(query, response, parsed, DnsWire.RcodeNoError, table.Soa, 1, negative: false, authoritative: true, udp, out length);
            }

            var answer = answers.Get(parsed.Type);
            return Finish(query, response, parsed, DnsWire.RcodeNoError, answer.Records, answer.Count, answer.Negative, authoritative: true, udp, out length, targets: answer.Targets);
        }

        if (DnsNames.IsAtOrBelow(key, table.Origin))
        {
            return Finish(query, response, parsed, DnsWire.RcodeNxDomain, [], 0, negative: true, authoritative: true, udp, out length);
        }

        if (forwarding)
        {
            length = parsed.QuestionEnd;
            return DnsOutcome.Forward;
        }

        return Finish(query, response, parsed, DnsWire.RcodeRefused, [], 0, negative: false, authoritative: false, udp, out length);
    }

    /// <summary>A SERVFAIL for a query that was to be forwarded and got no answer in time.</summary>
    public static int WriteServerFailure(ReadOnlySpan<byte> query, int questionEnd, Span<byte> response)
    {
        query[..questionEnd].CopyTo(response);
        response[2] = (byte)(DnsWire.FlagQr | (query[2] & DnsWire.FlagRd));
        response[3] = (byte)(DnsWire.FlagRa | DnsWire.RcodeServFail);
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], 1);
        response[6..DnsWire.HeaderLength].Clear();
        return questionEnd;
    }

    private DnsOutcome Finish(
        ReadOnlySpan<byte> query,
        Span<byte> response,
        in DnsQuery parsed,
        byte rcode,
        ReadOnlySpan<byte> records,
        ushort count,
        bool negative,
        bool authoritative,
        bool udp,
        out int length,
        byte extendedRcode = 0,
        byte[][]? targets = null)
    {
        var table = zone.Table;
        ReadOnlySpan<byte> authority = negative ? table.Soa : [];
        var limit = !udp ? DnsWire.MaxMessage
            : parsed.HasEdns ? Math.Clamp((int)parsed.EdnsPayload, DnsWire.ClassicUdpLimit, maxUdpPayload)
            : DnsWire.ClassicUdpLimit;
        var optLength = parsed.HasEdns ? DnsWire.OptLength : 0;
        var size = parsed.QuestionEnd + records.Length + authority.Length + optLength;
        var truncated = size > limit;
        if (truncated)
        {
            records = [];
            authority = [];
            count = 0;
        }

        WriteHeader(response, parsed, rcode, authoritative, questions: true);
        if (truncated)
        {
            response[2] |= DnsWire.FlagTc;
        }

        BinaryPrimitives.WriteUInt16BigEndian(response[6..], count);
        BinaryPrimitives.WriteUInt16BigEndian(response[8..], (ushort)(authority.Length > 0 ? 1 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], (ushort)(parsed.HasEdns ? 1 : 0));
        var at = parsed.QuestionEnd;
        query[DnsWire.HeaderLength..at].CopyTo(response[DnsWire.HeaderLength..]);
        records.CopyTo(response[at..]);
        at += records.Length;
        authority.CopyTo(response[at..]);
        at += authority.Length;
        if (!truncated && targets is { Length: > 0 })
        {
            // Additional records are a courtesy: those that do not fit are left out, without TC (RFC 2181 9).
            var additional = WriteAdditional(response[at..(limit - optLength)], table, targets, out var added);
            at += additional;
            BinaryPrimitives.WriteUInt16BigEndian(response[10..], (ushort)(added + (parsed.HasEdns ? 1 : 0)));
        }

        if (parsed.HasEdns)
        {
            at += WriteOpt(response[at..], extendedRcode);
        }

        length = at;
        return DnsOutcome.Reply;
    }

    /// <summary>The A and AAAA records of each SRV target the zone holds, owned by the target's full name.</summary>
    private static int WriteAdditional(Span<byte> to, AnswerTable table, byte[][] targets, out ushort count)
    {
        count = 0;
        var at = 0;
        foreach (var target in targets)
        {
            if (table.Find(target) is { } answers
                && !(Append(to, ref at, target, answers.A, ref count) && Append(to, ref at, target, answers.Aaaa, ref count)))
            {
                break;
            }
        }

        return at;
    }

    /// <summary>Appends each record of <paramref name="set"/> with <paramref name="owner"/> in place of its pointer; false when one did not fit.</summary>
    private static bool Append(Span<byte> to, ref int at, byte[] owner, CompiledAnswer? set, ref ushort count)
    {
        var records = set?.Records ?? [];
        for (var i = 0; i < records.Length;)
        {
            var record = 12 + BinaryPrimitives.ReadUInt16BigEndian(records.AsSpan(i + 10));
            if (at + owner.Length + record - 2 > to.Length)
            {
                return false;
            }

            owner.CopyTo(to[at..]);
            records.AsSpan(i + 2, record - 2).CopyTo(to[(at + owner.Length)..]);
            at += owner.Length + record - 2;
            count++;
            i += record;
        }

        return true;
    }

    private int WriteHeader(Span<byte> response, in DnsQuery parsed, byte rcode, bool authoritative, bool questions)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response, parsed.Id);
        response[2] = (byte)(DnsWire.FlagQr | (parsed.Flags1 & (0x78 | DnsWire.FlagRd)) | (authoritative ? DnsWire.FlagAa : 0));
        response[3] = (byte)((forwarding ? DnsWire.FlagRa : 0) | (parsed.Flags2 & 0x10) | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], (ushort)(questions ? 1 : 0));
        response[6..DnsWire.HeaderLength].Clear();
        return questions ? parsed.QuestionEnd : DnsWire.HeaderLength;
    }

    /// <summary>Our OPT record: the UDP payload size we accept, version 0, no flags.</summary>
    private int WriteOpt(Span<byte> to, byte extendedRcode)
    {
        to[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(to[1..], DnsWire.TypeOpt);
        BinaryPrimitives.WriteUInt16BigEndian(to[3..], maxUdpPayload);
        to[5] = extendedRcode;
        to[6] = 0;
        to[7] = 0;
        to[8] = 0;
        to[9] = 0;
        to[10] = 0;
        return DnsWire.OptLength;
    }
}

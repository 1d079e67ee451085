using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// What a query asks, read without allocating: the question's name lower-cased into the caller's
/// buffer, its type and class, and the EDNS0 OPT record's payload size and version. Anything the
/// parser does not accept leaves <see cref="Error"/> set to the rcode to answer with.
/// </summary>
internal ref struct DnsQuery
{
    public ushort Id;
    public byte Flags1;
    public byte Flags2;

    /// <summary>The question section's end; 0 when the question could not be read.</summary>
    public int QuestionEnd;
    public int NameLength;
    public ushort Type;
    public ushort Class;
    public bool HasEdns;
    public ushort EdnsPayload;
    public byte EdnsVersion;

    /// <summary>0 when the query can be answered; otherwise FORMERR, NOTIMP or REFUSED.</summary>
    public byte Error;

    /// <summary>A response, or shorter than a header: never answered (answering responses would let two servers loop).</summary>
    public bool Ignore;

    /// <summary>Reads <paramref name="message"/>; the question's name, lower case, goes to <paramref name="name"/> (at least 255 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DnsQuery Parse(ReadOnlySpan<byte> message, Span<byte> name)
    {
        var query = default(DnsQuery);
        if (message.Length < DnsWire.HeaderLength || (message[2] & DnsWire.FlagQr) != 0)
        {
            query.Ignore = true;
            return query;
        }

        query.Id = BinaryPrimitives.ReadUInt16BigEndian(message);
        query.Flags1 = message[2];
        query.Flags2 = message[3];
        if (((query.Flags1 >> 3) & 0xF) != 0)
        {
            query.Error = DnsWire.RcodeNotImp; // only QUERY (opcode 0): no IQUERY, STATUS, NOTIFY, UPDATE
            return query;
        }

        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authority = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (questions != 1 || answers != 0 || authority != 0)
        {
            query.Error = DnsWire.RcodeFormErr;
            return query;
        }

        var at = DnsWire.HeaderLength;
        var length = ReadQuestionName(message, ref at, name);
        if (length < 0 || message.Length - at < 4)
        {
            query.Error = DnsWire.RcodeFormErr;
            return query;
        }

        query.NameLength = length;
        query.Type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
        query.Class = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
        at += 4;
        query.QuestionEnd = at;
        for (var i = 0; i < additional; i++)
        {
            if (!ReadAdditional(message, ref at, ref query))
            {
                query.Error = DnsWire.RcodeFormErr;
                return query;
            }
        }

        if (at != message.Length || query.Type == DnsWire.TypeOpt)
        {
            query.Error = DnsWire.RcodeFormErr;
        }

        return query;
    }

    /// <summary>
    /// The question's name, lower-cased, in wire form. Compression is refused: nothing precedes the
    /// question for a pointer to point at, so a pointer here is malformed (or a loop). Returns the
    /// length, or -1.
    /// </summary>
    private static int ReadQuestionName(ReadOnlySpan<byte> message, ref int at, Span<byte> name)
    {
        var written = 0;
        while (true)
        {
            if (at >= message.Length)
            {
                return -1;
            }

            var label = message[at];
            if ((label & 0xC0) != 0)
            {
                return -1; // a pointer (0xC0) or a reserved label type; labels are at most 63 bytes
            }

            if (written + label + 1 > DnsNames.MaxWireLength || message.Length - at < label + 1)
            {
                return -1;
            }

            name[written++] = label;
            if (label == 0)
            {
                at++;
                return written;
            }

            for (var i = 1; i <= label; i++)
            {
                var c = message[at + i];
                name[written++] = c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c | 0x20) : c;
            }

            at += label + 1;
        }
    }

    /// <summary>Skips one additional record, taking the EDNS0 OPT record's payload size and version.</summary>
    private static bool ReadAdditional(ReadOnlySpan<byte> message, ref int at, ref DnsQuery query)
    {
        var owner = at;
        if (!SkipName(message, ref at) || message.Length - at < 10)
        {
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
        var payload = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
        var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(at + 4)..]);
        var dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 8)..]);
        at += 10;
        if (message.Length - at < dataLength)
        {
            return false;
        }

        at += dataLength;
        if (type != DnsWire.TypeOpt)
        {
            return true;
        }

        // RFC 6891 §6.1.1: one OPT record, owned by the root.
        if (query.HasEdns || message[owner] != 0)
        {
            return false;
        }

        query.HasEdns = true;
        query.EdnsPayload = payload;
        query.EdnsVersion = (byte)(ttl >> 16);
        return true;
    }

    /// <summary>Skips a name without following pointers: a pointer ends it, so no loop can form.</summary>
    private static bool SkipName(ReadOnlySpan<byte> message, ref int at)
    {
        var length = 0;
        while (at < message.Length)
        {
            var label = message[at];
            if ((label & 0xC0) == 0xC0)
            {
                at += 2;
                return at <= message.Length;
            }

            if ((label & 0xC0) != 0 || (length += label + 1) > DnsNames.MaxWireLength)
            {
                return false;
            }

            at += label + 1;
            if (label == 0)
            {
                return true;
            }
        }

        return false;
    }
}

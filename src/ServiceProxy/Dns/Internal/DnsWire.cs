namespace ServiceProxy.Dns.Internal;

/// <summary>Numbers of the DNS wire format (RFC 1035, RFC 6891) this server reads and writes.</summary>
internal static class DnsWire
{
    public const int HeaderLength = 12;
    public const int MaxMessage = 65535;

    /// <summary>Largest UDP answer without EDNS0 (RFC 1035 §4.2.1).</summary>
    public const int ClassicUdpLimit = 512;

    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeCname = 5;
    public const ushort TypeSoa = 6;
    public const ushort TypePtr = 12;
    public const ushort TypeTxt = 16;
    public const ushort TypeAaaa = 28;
    public const ushort TypeSrv = 33;
    public const ushort TypeOpt = 41;
    public const ushort TypeIxfr = 251;
    public const ushort TypeAxfr = 252;
    public const ushort TypeMailB = 253;
    public const ushort TypeMailA = 254;
    public const ushort TypeAny = 255;

    public const byte RcodeNoError = 0;
    public const byte RcodeFormErr = 1;
    public const byte RcodeServFail = 2;
    public const byte RcodeNxDomain = 3;
    public const byte RcodeNotImp = 4;
    public const byte RcodeRefused = 5;

    /// <summary>BADVERS (16) is extended: its upper 8 bits go in the OPT record's TTL.</summary>
    public const byte ExtendedRcodeBadVers = 1;

    public const byte FlagQr = 0x80;
    public const byte FlagAa = 0x04;
    public const byte FlagTc = 0x02;
    public const byte FlagRd = 0x01;
    public const byte FlagRa = 0x80;

    /// <summary>An OPT record: root name, type, class (payload size), TTL (extended rcode, version, flags), no data.</summary>
    public const int OptLength = 11;
}

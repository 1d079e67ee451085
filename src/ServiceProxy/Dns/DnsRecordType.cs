namespace ServiceProxy.Dns;

/// <summary>The record types a <see cref="DnsZone"/> holds, by their IANA numbers.</summary>
public enum DnsRecordType : ushort
{
    /// <summary>No data: the name exists and answers NODATA for every type (<see cref="DnsRecord.NameOnly"/>).</summary>
    None = 0,

    /// <summary>An IPv4 address.</summary>
    A = 1,

    /// <summary>A name server of the zone.</summary>
    Ns = 2,

    /// <summary>The canonical name an alias points to.</summary>
    Cname = 5,

    /// <summary>A pointer, for reverse lookups under <c>in-addr.arpa</c> and <c>ip6.arpa</c>.</summary>
    Ptr = 12,

    /// <summary>Text strings.</summary>
    Txt = 16,

    /// <summary>An IPv6 address.</summary>
    Aaaa = 28,

    /// <summary>A service location: priority, weight, port and target host.</summary>
    Srv = 33,
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// The service IP range (kube-apiserver's <c>--service-cluster-ip-range</c>). Usable addresses
/// exclude the network address and, for IPv4, the broadcast address. At most 20 host bits, as
/// Kubernetes requires, which keeps the allocation bitmap at 128 KiB or less.
/// </summary>
internal sealed class ServiceCidr
{
    public const int MaxHostBits = 20;

    private readonly UInt128 _first;

    private ServiceCidr(IPAddress network, int prefixLength, int size)
    {
        Network = network;
        PrefixLength = prefixLength;
        Size = size;
        _first = ToNumber(network) + 1;
    }

    public IPAddress Network { get; }

    public int PrefixLength { get; }

    public AddressFamily Family => Network.AddressFamily;

    /// <summary>Number of allocatable addresses.</summary>
    public int Size { get; }

    /// <summary>Every address of the CIDR, the network (and IPv4's broadcast) address included.</summary>
    public long AddressCount => 1L << ((Family == AddressFamily.InterNetwork ? 32 : 128) - PrefixLength);

    /// <summary>Parses <c>10.96.0.0/12</c>; host bits are masked off as <c>net.ParseCIDR</c> does.</summary>
    public static ServiceCidr Parse(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var address)
            || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            throw new FormatException($"invalid service CIDR \"{cidr}\": expected an address and a prefix length, e.g. 10.96.0.0/12");
        }

        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix > bits)
        {
            throw new FormatException($"invalid service CIDR \"{cidr}\": prefix length {prefix} exceeds {bits}");
        }

        var hostBits = bits - prefix;
        if (hostBits > MaxHostBits)
        {
            // kube-apiserver's wording for --service-cluster-ip-range.
            throw new FormatException($"service CIDR \"{cidr}\" is too large; for {bits}-bit addresses, the mask must be >= {bits - MaxHostBits}");
        }

        var reserved = bits == 32 ? 2 : 1;
        var size = (1 << hostBits) - reserved;
        if (size < 1)
        {
            throw new FormatException($"service CIDR \"{cidr}\" is too small: it has no allocatable address");
        }

        var mask = hostBits == 0 ? UInt128.MaxValue : ~((UInt128.One << hostBits) - 1);
        var network = FromNumber(ToNumber(address) & mask, address.AddressFamily);
        return new ServiceCidr(network, prefix, size);
    }

    /// <summary>
    /// Parses the comma-separated ranges of <c>--service-cidr</c>, as kube-apiserver parses
    /// <c>--service-cluster-ip-range</c>: one or two, the second of the other family. The first is
    /// the primary range: Services that name no family get its family.
    /// </summary>
    public static IReadOnlyList<ServiceCidr> ParseList(string? text)
    {
        var entries = (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        if (entries is [""])
        {
            throw new FormatException("service CIDR must contain at least one valid cidr");
        }

        if (entries.Length > 2)
        {
            throw new FormatException($"service CIDR \"{text}\" must not contain more than two entries");
        }

        var cidrs = entries.Select(Parse).ToArray();
        if (cidrs.Length == 2 && cidrs[0].Family == cidrs[1].Family)
        {
            throw new FormatException($"service CIDR \"{text}\": [0] and [1] must be of different IP family");
        }

        return cidrs;
    }

    /// <summary><c>IPv4</c> or <c>IPv6</c>, as Services name the family in <c>ipFamilies</c>.</summary>
    public string FamilyName => Family == AddressFamily.InterNetwork ? Model.IPFamilies.IPv4 : Model.IPFamilies.IPv6;

    /// <summary>The offset of an allocatable address, or -1 when it is outside the usable range.</summary>
    public int OffsetOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6 && Family == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Family)
        {
            return -1;
        }

        var number = ToNumber(address);
        if (number < _first || number - _first >= (UInt128)Size)
        {
            return -1;
        }

        return (int)(number - _first);
    }

    public IPAddress AddressAt(int offset) => FromNumber(_first + (UInt128)offset, Family);

    /// <summary>The whole block as numbers, network and broadcast addresses included.</summary>
    public (UInt128 First, UInt128 Last) Bounds
    {
        get
        {
            var hostBits = (Family == AddressFamily.InterNetwork ? 32 : 128) - PrefixLength;
            return (ToNumber(Network), ToNumber(Network) + (hostBits == 0 ? 0 : (UInt128.One << hostBits) - 1));
        }
    }

    public override string ToString() => $"{Network}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    internal static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        UInt128 value = 0;
        for (var i = 0; i < length; i++)
        {
            value = (value << 8) | bytes[i];
        }

        return value;
    }

    internal static IPAddress FromNumber(UInt128 value, AddressFamily family)
    {
        var length = family == AddressFamily.InterNetwork ? 4 : 16;
        Span<byte> bytes = stackalloc byte[length];
        for (var i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }

        return new IPAddress(bytes);
    }
}

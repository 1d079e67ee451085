using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// The addresses LoadBalancer Services are given (<c>--loadbalancer-pool</c>): CIDRs or single
/// addresses separated by commas, every address of each block usable (MetalLB's address pools do
/// the same), numbered in the order written. At most <see cref="MaxSize"/> addresses in all, which
/// keeps the allocation bitmap at 128 KiB or less. Empty: no addresses, every such Service stays pending.
/// </summary>
internal sealed class LoadBalancerPool
{
    public const int MaxSize = 1 << ServiceCidr.MaxHostBits;

    private readonly Block[] _blocks;

    private LoadBalancerPool(Block[] blocks, string text)
    {
        _blocks = blocks;
        Size = blocks.Sum(b => b.Size);
        Text = text;
    }

    /// <summary>Number of addresses.</summary>
    public int Size { get; }

    /// <summary>As configured, for messages.</summary>
    public string Text { get; }

    /// <summary>Parses <c>127.101.0.0/24,192.168.1.240/28,10.0.0.7</c>; host bits are masked off as <c>net.ParseCIDR</c> does.</summary>
    public static LoadBalancerPool Parse(string? text)
    {
        var blocks = new List<Block>();
        var offset = 0;
        foreach (var entry in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var block = ParseBlock(entry, offset);
            if (blocks.FirstOrDefault(b => b.Family == block.Family && b.First <= block.Last && block.First <= b.Last) is { } other)
            {
                throw new FormatException($"load-balancer pool \"{entry}\" overlaps \"{other.Text}\"");
            }

            offset += block.Size;
            if (offset > MaxSize)
            {
                throw new FormatException($"load-balancer pool \"{text}\" is too large: at most {MaxSize} addresses in all");
            }

            blocks.Add(block);
        }

        return new LoadBalancerPool([.. blocks], string.Join(",", blocks.Select(b => b.Text)));
    }

    /// <summary>The offset of <paramref name="address"/> in the pool, or -1 when it is not in the pool.</summary>
    public int OffsetOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var number = ServiceCidr.ToNumber(address);
        foreach (var block in _blocks)
        {
            if (block.Family == address.AddressFamily && number >= block.First && number <= block.Last)
            {
                return block.Offset + (int)(number - block.First);
            }
        }

        return -1;
    }

    public IPAddress AddressAt(int offset)
    {
        var block = _blocks.Last(b => b.Offset <= offset);
        return ServiceCidr.FromNumber(block.First + (UInt128)(offset - block.Offset), block.Family);
    }

    /// <summary>The first block that shares an address with <paramref name="cidr"/>, or null.</summary>
    public string? Overlapping(ServiceCidr cidr)
    {
        var (first, last) = cidr.Bounds;
        return _blocks.FirstOrDefault(b => b.Family == cidr.Family && b.First <= last && first <= b.Last)?.Text;
    }

    public override string ToString() => Text;

    private static Block ParseBlock(string entry, int offset)
    {
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? entry.AsSpan() : entry.AsSpan(0, slash);
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%'))
        {
            throw new FormatException($"invalid load-balancer pool \"{entry}\": expected a CIDR or an address, e.g. 192.168.1.240/28");
        }

        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(entry.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            throw new FormatException($"invalid load-balancer pool \"{entry}\": the prefix length must be a number within 0-{bits}");
        }

        var hostBits = bits - prefix;
        if (hostBits > ServiceCidr.MaxHostBits)
        {
            throw new FormatException($"load-balancer pool \"{entry}\" is too large: at most {ServiceCidr.MaxHostBits} host bits (e.g. /{bits - ServiceCidr.MaxHostBits})");
        }

        var mask = hostBits == 0 ? UInt128.MaxValue : ~((UInt128.One << hostBits) - 1);
        var first = ServiceCidr.ToNumber(address) & mask;
        var size = 1 << hostBits;
        var network = ServiceCidr.FromNumber(first, address.AddressFamily);
        var text = slash < 0 ? network.ToString() : $"{network}/{prefix.ToString(CultureInfo.InvariantCulture)}";
        return new Block(address.AddressFamily, first, first + (UInt128)(size - 1), offset, size, text);
    }

    private sealed record Block(AddressFamily Family, UInt128 First, UInt128 Last, int Offset, int Size, string Text);
}

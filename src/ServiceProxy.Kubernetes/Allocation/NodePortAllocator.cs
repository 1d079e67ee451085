using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// Node ports, taken per (protocol, number): one service may use the same number for TCP and UDP,
/// two services may not share a number on the same protocol.
/// </summary>
internal sealed class NodePortAllocator
{
    private readonly Random _random;
    private readonly Dictionary<string, AllocationBitmap> _byProtocol = new(StringComparer.Ordinal);

    // kube-apiserver's band for node ports chosen by hand (KEP-3668): min(max(16, size / 32), 128).
    private readonly int _reserved;

    public NodePortAllocator(PortRange range, Random random)
    {
        Range = range;
        _random = random;
        _reserved = AllocationBitmap.ReservedBand(range.Size, step: 32, max: 128);
    }

    public PortRange Range { get; }

    public AllocateResult Allocate(string protocol, int port)
    {
        if (!Range.Contains(port))
        {
            return AllocateResult.NotInRange;
        }

        return Bitmap(protocol).TryAllocate(port - Range.First) ? AllocateResult.Allocated : AllocateResult.AlreadyAllocated;
    }

    /// <summary>A random free port for <paramref name="protocol"/>, above the reserved band while it can be; 0 when the range is full.</summary>
    public int AllocateNext(string protocol)
    {
        var offset = Bitmap(protocol).AllocateRandom(_random, _reserved);
        return offset < 0 ? 0 : Range.First + offset;
    }

    public bool IsAllocated(string protocol, int port) =>
        Range.Contains(port) && _byProtocol.TryGetValue(protocol, out var bitmap) && bitmap.IsAllocated(port - Range.First);

    public void Release(string protocol, int port)
    {
        if (Range.Contains(port) && _byProtocol.TryGetValue(protocol, out var bitmap))
        {
            bitmap.Release(port - Range.First);
        }
    }

    private AllocationBitmap Bitmap(string protocol)
    {
        protocol = string.IsNullOrEmpty(protocol) ? Protocols.Tcp : protocol;
        if (!_byProtocol.TryGetValue(protocol, out var bitmap))
        {
            // Only protocols that passed validation get here (TCP, UDP, SCTP), so this stays small.
            bitmap = new AllocationBitmap(Range.Size);
            _byProtocol.Add(protocol, bitmap);
        }

        return bitmap;
    }
}

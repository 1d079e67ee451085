using System.Net;

namespace ServiceProxy.Kubernetes.Allocation;

internal enum AllocateResult
{
    Allocated,
    NotInRange,
    AlreadyAllocated,
}

/// <summary>Cluster IPs from the service CIDR: explicit ones checked, the others picked at random.</summary>
internal sealed class ClusterIPAllocator
{
    private readonly AllocationBitmap _bitmap;
    private readonly Random _random;

    // kube-apiserver's band for ClusterIPs chosen by hand (KEP-3070): min(max(16, range / 16), 256)
    // addresses at the start of the range, where the range counts every address of the CIDR (AddressCount).
    private readonly int _reserved;

    public ClusterIPAllocator(ServiceCidr cidr, Random random)
    {
        Cidr = cidr;
        _random = random;
        _bitmap = new AllocationBitmap(cidr.Size);
        _reserved = AllocationBitmap.ReservedBand(cidr.AddressCount, step: 16, max: 256);
    }

    public ServiceCidr Cidr { get; }

    public int Free => _bitmap.Size - _bitmap.Count;

    public AllocateResult Allocate(IPAddress address)
    {
        var offset = Cidr.OffsetOf(address);
        if (offset < 0)
        {
            return AllocateResult.NotInRange;
        }

        return _bitmap.TryAllocate(offset) ? AllocateResult.Allocated : AllocateResult.AlreadyAllocated;
    }

    /// <summary>A random free address, after the reserved band while the range has room there; null when the range is full.</summary>
    public IPAddress? AllocateNext()
    {
        var offset = _bitmap.AllocateRandom(_random, _reserved);
        return offset < 0 ? null : Cidr.AddressAt(offset);
    }

    public bool IsAllocated(IPAddress address) => Cidr.OffsetOf(address) is var offset and >= 0 && _bitmap.IsAllocated(offset);

    public void Release(IPAddress address)
    {
        var offset = Cidr.OffsetOf(address);
        if (offset >= 0)
        {
            _bitmap.Release(offset);
        }
    }
}

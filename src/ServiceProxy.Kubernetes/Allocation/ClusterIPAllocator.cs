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

    public ClusterIPAllocator(ServiceCidr cidr, Random random)
    {
        Cidr = cidr;
        _random = random;
        _bitmap = new AllocationBitmap(cidr.Size);
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

    /// <summary>A random free address, or null when the range is full.</summary>
    public IPAddress? AllocateNext()
    {
        var offset = _bitmap.AllocateNext(_random.Next(_bitmap.Size));
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

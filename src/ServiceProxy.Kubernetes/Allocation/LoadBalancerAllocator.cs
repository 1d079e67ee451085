using System.Net;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// LoadBalancer addresses from the pool: a requested one taken if it is in the pool and free, the
/// others picked lowest first, as MetalLB picks them, so the same Services applied in the same order
/// get the same addresses.
/// </summary>
internal sealed class LoadBalancerAllocator
{
    private readonly AllocationBitmap? _bitmap;

    public LoadBalancerAllocator(LoadBalancerPool pool)
    {
        Pool = pool;
        _bitmap = pool.Size > 0 ? new AllocationBitmap(pool.Size) : null;
    }

    public LoadBalancerPool Pool { get; }

    public int Free => _bitmap is null ? 0 : _bitmap.Size - _bitmap.Count;

    /// <summary>Addresses given back so far; a change tells the registry that pending Services may now get one.</summary>
    public long Released { get; private set; }

    public AllocateResult Allocate(IPAddress address)
    {
        var offset = Pool.OffsetOf(address);
        if (offset < 0 || _bitmap is null)
        {
            return AllocateResult.NotInRange;
        }

        return _bitmap.TryAllocate(offset) ? AllocateResult.Allocated : AllocateResult.AlreadyAllocated;
    }

    /// <summary>The lowest free address, or null when the pool is spent.</summary>
    public IPAddress? AllocateNext()
    {
        var offset = _bitmap?.AllocateNext(0) ?? -1;
        return offset < 0 ? null : Pool.AddressAt(offset);
    }

    public bool IsAllocated(IPAddress address) => Pool.OffsetOf(address) is var offset and >= 0 && _bitmap!.IsAllocated(offset);

    /// <summary>Gives <paramref name="address"/> back; <paramref name="undo"/> when it only undoes a write's own allocation.</summary>
    public void Release(IPAddress address, bool undo = false)
    {
        var offset = Pool.OffsetOf(address);
        if (offset >= 0 && _bitmap!.IsAllocated(offset))
        {
            _bitmap.Release(offset);
            Released += undo ? 0 : 1;
        }
    }
}

using System.Numerics;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// A fixed-size set of taken offsets, one bit each (Kubernetes' bitmap allocator). Free offsets are
/// picked by scanning forward from a random start, so the cost is one word per 64 offsets in the
/// worst case and the memory is size/8 bytes. Not thread-safe: the registry serialises writes.
/// </summary>
internal sealed class AllocationBitmap
{
    private readonly ulong[] _words;

    public AllocationBitmap(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Size = size;
        _words = new ulong[(size + 63) / 64];
    }

    public int Size { get; }

    public int Count { get; private set; }

    public bool IsAllocated(int offset) => (_words[offset >> 6] & (1UL << offset)) != 0;

    /// <summary>Takes <paramref name="offset"/>; false when it is already taken.</summary>
    public bool TryAllocate(int offset)
    {
        ref var word = ref _words[offset >> 6];
        var bit = 1UL << offset;
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        Count++;
        return true;
    }

    /// <summary>Takes the first free offset at or after <paramref name="start"/> (wrapping); -1 when full.</summary>
    public int AllocateNext(int start)
    {
        if (Count >= Size)
        {
            return -1;
        }

        var offset = FindFree(start, Size) is var found and >= 0 ? found : FindFree(0, start);
        if (offset >= 0)
        {
            TryAllocate(offset);
        }

        return offset;
    }

    /// <summary>
    /// Takes a free offset at random from <c>[reserved, Size)</c> while it has one, and only then from
    /// <c>[0, reserved)</c>, as kube-apiserver's random scan with an offset does; -1 when full. The low
    /// band is left to values a client chooses itself (KEP-3070 for ClusterIPs, KEP-3668 for node ports).
    /// </summary>
    public int AllocateRandom(Random random, int reserved)
    {
        if (Count >= Size)
        {
            return -1;
        }

        var offset = FindFreeFrom(random, reserved, Size) is var upper and >= 0 ? upper : FindFreeFrom(random, 0, reserved);
        if (offset >= 0)
        {
            TryAllocate(offset);
        }

        return offset;
    }

    /// <summary>
    /// The low band kube-apiserver leaves to chosen values in a range of <paramref name="size"/>:
    /// min(max(16, size / <paramref name="step"/>), <paramref name="max"/>), none in a range of 16 or fewer.
    /// </summary>
    public static int ReservedBand(long size, int step, int max) => size <= 16 ? 0 : (int)Math.Clamp(size / step, 16, max);

    /// <summary>The bits as bytes, offset 0 first, lowest bit first (the form the cluster store keeps).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[(Size + 7) / 8];
        for (var offset = 0; offset < Size; offset++)
        {
            if (IsAllocated(offset))
            {
                bytes[offset >> 3] |= (byte)(1 << (offset & 7));
            }
        }

        return bytes;
    }

    public void Release(int offset)
    {
        ref var word = ref _words[offset >> 6];
        var bit = 1UL << offset;
        if ((word & bit) != 0)
        {
            word &= ~bit;
            Count--;
        }
    }

    /// <summary>A free offset in [from, to), scanning forward from a random point and wrapping; -1 when none.</summary>
    private int FindFreeFrom(Random random, int from, int to)
    {
        if (to <= from)
        {
            return -1;
        }

        var start = from + random.Next(to - from);
        return FindFree(start, to) is var found and >= 0 ? found : FindFree(from, start);
    }

    /// <summary>The first free offset in [from, to), or -1.</summary>
    private int FindFree(int from, int to)
    {
        for (var index = from >> 6; index << 6 < to; index++)
        {
            var free = ~_words[index];
            if (index == from >> 6)
            {
                free &= ulong.MaxValue << (from & 63);
            }

            if (free != 0)
            {
                var offset = (index << 6) + BitOperations.TrailingZeroCount(free);
                return offset < to ? offset : -1;
            }
        }

        return -1;
    }
}

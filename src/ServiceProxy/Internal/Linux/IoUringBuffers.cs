using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A provided-buffer ring (<c>IORING_REGISTER_PBUF_RING</c>, Linux 5.19): buffers the kernel hands to
/// a receive only when its data arrives, so a connection waiting for bytes holds none, as an idle
/// direction of the splice engine holds no pipe. Buffers are allocated on demand, up to
/// <see cref="Capacity"/>, and given back to the kernel once their bytes are sent.
/// </summary>
internal sealed unsafe class IoUringBuffers : IDisposable
{
    private const uint RegisterPbufRing = 22;
    private const uint UnregisterPbufRing = 23;

    private readonly IoUring _ring;
    private readonly byte* _entries;
    private readonly byte*[] _buffers;
    private readonly uint _mask;
    private ushort _tail;
    private int _allocated;
    private bool _disposed;

    private IoUringBuffers(IoUring ring, ushort group, int capacity, int bufferSize, byte* entries)
    {
        _ring = ring;
        Group = group;
        Capacity = capacity;
        BufferSize = bufferSize;
        _entries = entries;
        _mask = (uint)capacity - 1;
        _buffers = new byte*[capacity];
    }

    public ushort Group { get; }

    /// <summary>Bytes of each buffer: the most one receive takes.</summary>
    public int BufferSize { get; }

    /// <summary>Most buffers ever allocated (a power of two).</summary>
    public int Capacity { get; }

    /// <summary>Buffers allocated so far; each is either with the kernel or holding unsent bytes.</summary>
    public int Allocated => _allocated;

    /// <summary>Registers an empty ring of <paramref name="capacity"/> (a power of two) buffers; null with <paramref name="errno"/> set where the kernel refuses.</summary>
    public static IoUringBuffers? TryCreate(IoUring ring, ushort group, int capacity, int bufferSize, out int errno)
    {
        var size = (nuint)(capacity * 16);
        var entries = (byte*)NativeMemory.AlignedAlloc(size, 4096);
        NativeMemory.Clear(entries, size);
        var registration = stackalloc byte[40];
        new Span<byte>(registration, 40).Clear();
        *(ulong*)registration = (ulong)entries;
        *(uint*)(registration + 8) = (uint)capacity;
        *(ushort*)(registration + 12) = group;
        if (ring.Register(RegisterPbufRing, registration, 1) < 0)
        {
            errno = Libc.LastError;
            NativeMemory.AlignedFree(entries);
            return null;
        }

        errno = 0;
        return new IoUringBuffers(ring, group, capacity, bufferSize, entries);
    }

    /// <summary>Where buffer <paramref name="id"/>'s bytes are.</summary>
    public byte* Address(int id) => _buffers[id];

    /// <summary>The first <paramref name="length"/> bytes of buffer <paramref name="id"/>.</summary>
    public ReadOnlySpan<byte> Bytes(int id, int length) => new(_buffers[id], length);

    /// <summary>Allocates one more buffer and gives it to the kernel; false at <see cref="Capacity"/>.</summary>
    public bool TryGrow()
    {
        if (_allocated == Capacity)
        {
            return false;
        }

        var id = _allocated++;
        _buffers[id] = (byte*)NativeMemory.AlignedAlloc((nuint)BufferSize, 64);
        Return(id);
        return true;
    }

    /// <summary>Gives buffer <paramref name="id"/> back to the kernel for the next receive.</summary>
    public void Return(int id)
    {
        var entry = _entries + (_tail & _mask) * 16;
        *(ulong*)entry = (ulong)_buffers[id];
        *(uint*)(entry + 8) = (uint)BufferSize;
        *(ushort*)(entry + 12) = (ushort)id;
        _tail++;
        // The tail shares the first entry's last two bytes; publishing it hands the entry over.
        Volatile.Write(ref *(ushort*)(_entries + 14), _tail);
    }

    /// <summary>Unregisters the ring (on the ring's thread, before the ring closes) and frees every buffer.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var registration = stackalloc byte[40];
        new Span<byte>(registration, 40).Clear();
        *(ushort*)(registration + 12) = Group;
        _ring.Register(UnregisterPbufRing, registration, 1);
        for (var i = 0; i < _allocated; i++)
        {
            NativeMemory.AlignedFree(_buffers[i]);
        }

        NativeMemory.AlignedFree(_entries);
    }
}

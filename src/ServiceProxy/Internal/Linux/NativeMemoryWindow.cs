using System.Buffers;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// A <see cref="Memory{T}"/> over native memory that its owner points anywhere: a loop hands the
/// UDP send path a datagram where the kernel received it (a provided buffer) rather than a copy.
/// What <see cref="Over"/> returns is valid only until the next call, and the owner frees nothing:
/// so it may go only to code that reads it before returning, as the UDP send does (it copies
/// whatever it cannot send at once).
/// </summary>
internal sealed unsafe class NativeMemoryWindow : MemoryManager<byte>
{
    private byte* _pointer;
    private int _length;

    public ReadOnlyMemory<byte> Over(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
        return CreateMemory(length);
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

namespace ServiceProxy.Udp;

/// <summary>
/// Pinned 64 KiB datagram buffers for what goes through .NET's socket engine, shared by a server's UDP ports.
/// A buffer is rented only while a datagram is in hand, so the pool holds about as many as
/// datagrams relayed at once; it keeps at most <see cref="MaxRetained"/>, the rest go to the GC.
/// </summary>
/// <remarks>
/// ArrayPool.Shared caches per thread, and the relay continuations hop between pool threads, so
/// it kept missing (and allocating 64 KiB) in steady state; one short lock here does not.
/// </remarks>
internal sealed class UdpBufferPool
{
    private readonly Lock _gate = new();
    private readonly byte[][] _buffers;
    private int _count;

    public UdpBufferPool(int maxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRetained, 1);
        _buffers = new byte[maxRetained][];
    }

    public int MaxRetained => _buffers.Length;

    public byte[] Rent()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                var buffer = _buffers[--_count];
                _buffers[_count] = null!;
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(UdpListener.BufferSize, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        lock (_gate)
        {
            if (_count < _buffers.Length)
            {
                _buffers[_count++] = buffer;
            }
        }
    }
}

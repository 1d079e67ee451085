using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// Datagrams received and answered in batches: one <c>recvmmsg</c> takes every query waiting (up to
/// <see cref="Capacity"/>), one <c>sendmmsg</c> sends their answers, so a busy server pays two
/// system calls per batch instead of two per query. For a blocking socket: <see cref="Receive"/>
/// waits for the first datagram (or the socket's receive timeout) and takes whatever else is queued
/// without waiting. The headers live in native memory and the buffers are pinned for the batch's
/// life: nothing is allocated or pinned per datagram. One thread uses a batch.
/// </summary>
internal sealed unsafe class UdpDatagramBatch : IDisposable
{
    public const int Capacity = 16;

    /// <summary>Room for any socket address (<c>sockaddr_storage</c>).</summary>
    private const int AddressRoom = 128;

    private readonly int _slot;
    private readonly byte[] _queries;
    private readonly byte[] _replies;
    private readonly MmsgHdr* _received;
    private readonly MmsgHdr* _sending;
    private readonly IoVec* _queryVectors;
    private readonly IoVec* _replyVectors;
    private readonly byte* _addresses;
    private int _replyCount;
    private bool _disposed;

    /// <param name="slot">Bytes per datagram, both ways.</param>
    public UdpDatagramBatch(int slot)
    {
        _slot = slot;
        _queries = GC.AllocateUninitializedArray<byte>(slot * Capacity, pinned: true);
        _replies = GC.AllocateUninitializedArray<byte>(slot * Capacity, pinned: true);
        _received = (MmsgHdr*)NativeMemory.AllocZeroed((nuint)(2 * Capacity * sizeof(MmsgHdr)));
        _sending = _received + Capacity;
        _queryVectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(2 * Capacity * sizeof(IoVec)));
        _replyVectors = _queryVectors + Capacity;
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * AddressRoom));
        var queries = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_queries));
        var replies = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_replies));
        for (var i = 0; i < Capacity; i++)
        {
            _queryVectors[i] = new IoVec { Base = queries + (i * slot), Length = (nuint)slot };
            _replyVectors[i] = new IoVec { Base = replies + (i * slot) };
            _received[i].Header.Name = _addresses + (i * AddressRoom);
            _received[i].Header.Iov = _queryVectors + i;
            _received[i].Header.IovLength = 1;
        }
    }

    /// <summary>
    /// Waits for datagrams and takes those queued, at most <see cref="Capacity"/>; 0 when the
    /// socket's receive timeout passed first (or a signal came). Starts a new batch of replies.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    /// <exception cref="SocketException">The receive failed.</exception>
    public int Receive(Socket socket)
    {
        _replyCount = 0;
        for (var i = 0; i < Capacity; i++)
        {
            _received[i].Header.NameLength = AddressRoom;
            _received[i].Header.Flags = 0;
        }

        var lease = DescriptorLease.Take(socket);
        try
        {
            var count = Libc.RecvMmsg(lease.Fd, _received, Capacity, Libc.MSG_WAITFORONE, null);
            if (count >= 0)
            {
                return count;
            }

            var error = Libc.LastError;
            return error is Libc.EAGAIN or Libc.EINTR ? 0 : throw Libc.SocketError(error);
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>The <paramref name="index"/>th datagram received; its tail is cut when it was larger than a slot.</summary>
    public ReadOnlySpan<byte> Datagram(int index) => _queries.AsSpan(index * _slot, (int)Math.Min(_received[index].Length, (uint)_slot));

    /// <summary>Where to write the answer to the <paramref name="index"/>th datagram.</summary>
    public Span<byte> ReplyBuffer(int index) => _replies.AsSpan(index * _slot, _slot);

    /// <summary>The sender of the <paramref name="index"/>th datagram, copied (for the rare path that keeps it).</summary>
    public System.Net.SocketAddress Sender(int index, AddressFamily family)
    {
        var length = (int)_received[index].Header.NameLength;
        var address = new System.Net.SocketAddress(family, length);
        new ReadOnlySpan<byte>(_received[index].Header.Name, length).CopyTo(address.Buffer.Span);
        return address;
    }

    /// <summary>Queues the <paramref name="length"/> bytes written to <see cref="ReplyBuffer"/> as the answer to its sender.</summary>
    public void Reply(int index, int length)
    {
        _replyVectors[index].Length = (nuint)length;
        ref var message = ref _sending[_replyCount++];
        message.Header.Name = _received[index].Header.Name;
        message.Header.NameLength = _received[index].Header.NameLength;
        message.Header.Iov = _replyVectors + index;
        message.Header.IovLength = 1;
    }

    /// <summary>
    /// Sends the queued replies; returns how many were lost. A reply the kernel refuses (a full
    /// buffer past the socket's send timeout, an unreachable sender) is lost, as a datagram may be;
    /// the others still go.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public int SendReplies(Socket socket)
    {
        var lost = 0;
        var lease = DescriptorLease.Take(socket);
        try
        {
            var next = 0;
            while (next < _replyCount)
            {
                var sent = Libc.SendMmsg(lease.Fd, _sending + next, (uint)(_replyCount - next), Libc.MSG_NOSIGNAL);
                if (sent > 0)
                {
                    next += sent;
                }
                else if (sent < 0 && Libc.LastError == Libc.EINTR)
                {
                    continue;
                }
                else
                {
                    next++; // The first unsent reply failed: it is lost, the rest go on.
                    lost++;
                }
            }
        }
        finally
        {
            lease.Release();
            _replyCount = 0;
        }

        return lost;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_received);
        NativeMemory.Free(_queryVectors);
        NativeMemory.Free(_addresses);
    }
}

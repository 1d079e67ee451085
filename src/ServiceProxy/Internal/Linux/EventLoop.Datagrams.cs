using System.Net;
using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// UDP on the loop's io_uring (<see cref="Udp.UdpLoopReceiver"/>): a session's receive takes a
/// datagram buffer from its own provided-buffer group only when a datagram arrives, and each
/// datagram the loop forwards is sent from a copy in the loop's send arena by the next
/// <c>io_uring_enter</c>, the one that also waits. A round trip then costs one syscall per
/// direction, where epoll's costs four (<c>epoll_wait</c>, the receive, the send, and the receive
/// that finds the socket drained); see benchmarks/RESULTS.md, "UDP ping-pong".
/// </summary>
internal sealed unsafe partial class EventLoop
{
    /// <summary>The datagram buffers' group id, beside the relay's (<see cref="BufferGroup"/>).</summary>
    private const ushort DatagramGroup = 2;

    /// <summary>Datagram buffers a loop may allocate (of 64 KiB): one per session receive completing in one pass.</summary>
    private const int DatagramBufferCapacity = 64;

    /// <summary>Bytes of datagrams (and addresses) one pass may queue to send; beyond that a send is a syscall.</summary>
    private const int SendArenaSize = 256 * 1024;

    private const int ArenaAddressSize = 128;

    private readonly NativeMemoryWindow _receivedDatagram = new();
    private IoUringBuffers? _datagramBuffers;
    private byte* _sendArena;
    private int _sendArenaUsed;

    /// <summary>Whether UDP sockets of this loop are read and written through its ring.</summary>
    public bool UsesRingForDatagrams => _datagramBuffers is not null;

    /// <summary>Loop thread: the ring, for the UDP receivers that submit to it.</summary>
    public IoUring Ring => _ring!;

    /// <summary>Loop thread: the datagram buffers a session's receive picks from.</summary>
    public IoUringBuffers DatagramBuffers => _datagramBuffers!;

    /// <summary>
    /// Loop thread: the <paramref name="length"/> bytes a session's receive took into datagram
    /// buffer <paramref name="bufferId"/>, in place; valid until the next call, and until the buffer
    /// goes back to the kernel.
    /// </summary>
    public ReadOnlyMemory<byte> ReceivedDatagram(int bufferId, int length) =>
        _receivedDatagram.Over(_datagramBuffers!.Address(bufferId), length);

    /// <summary>Creating thread, after the ring: the datagram buffer group; UDP stays on epoll where the kernel refuses it.</summary>
    private void CreateDatagramBuffers(IoUring ring) =>
        _datagramBuffers = IoUringBuffers.TryCreate(ring, DatagramGroup, DatagramBufferCapacity, Udp.UdpListener.BufferSize, out _);

    /// <summary>Any thread: gives a UDP receiver a slot, so that its ring completions find it.</summary>
    public void AddRingEntry(LoopEntry entry)
    {
        lock (_gate)
        {
            AddSlot(entry);
        }
    }

    /// <summary>
    /// Loop thread: queues <paramref name="datagram"/> to be sent on <paramref name="fd"/> (to
    /// <paramref name="to"/>, or the socket's peer) by the next submission; a failure completes
    /// with <paramref name="failureData"/>. False when this pass's arena is full: send it now instead.
    /// </summary>
    public bool TryQueueDatagram(int fd, ReadOnlySpan<byte> datagram, SocketAddress? to, ulong failureData)
    {
        var length = (datagram.Length + 7) & ~7;
        var needed = length + (to is null ? 0 : ArenaAddressSize);
        if (_sendArenaUsed + needed > SendArenaSize || to is { Size: > ArenaAddressSize })
        {
            return false;
        }

        if (_sendArena is null)
        {
            _sendArena = (byte*)NativeMemory.Alloc(SendArenaSize);
        }

        var data = _sendArena + _sendArenaUsed;
        datagram.CopyTo(new Span<byte>(data, datagram.Length));
        byte* address = null;
        if (to is not null)
        {
            address = data + length;
            to.Buffer.Span[..to.Size].CopyTo(new Span<byte>(address, ArenaAddressSize));
        }

        _sendArenaUsed += needed;
        _ring!.SendDatagram(fd, data, datagram.Length, address, to?.Size ?? 0, failureData);
        return true;
    }

    /// <summary>
    /// Loop thread: submits the queued datagrams now, before a UDP socket they may be for closes
    /// (its descriptor could be reused by the next submission otherwise).
    /// </summary>
    public void SubmitQueuedDatagrams()
    {
        if (_sendArenaUsed > 0 && _ring!.SubmitAndWait(0, out _))
        {
            AfterSubmission();
        }
    }

    /// <summary>Loop thread, after each submission: the kernel has copied every queued datagram it took.</summary>
    private void AfterSubmission()
    {
        if (_ring!.AllSubmitted)
        {
            _sendArenaUsed = 0;
        }
    }

    private void CloseDatagrams()
    {
        _datagramBuffers?.Dispose();
        _datagramBuffers = null;
        if (_sendArena is not null)
        {
            NativeMemory.Free(_sendArena);
            _sendArena = null;
        }
    }
}

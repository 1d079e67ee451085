using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// One io_uring instance, through the raw syscalls (no liburing to ship): the submission and
/// completion rings mapped once, submissions prepared in place, and one <c>io_uring_enter</c> that
/// submits them and waits for completions. Single issuer with deferred task work: only the thread
/// that created it may use it, and completions are posted only inside that thread's enter, so one
/// syscall per loop pass does both halves.
/// </summary>
internal sealed unsafe partial class IoUring : IDisposable
{
    public const byte OpPollAdd = 6;
    public const byte OpRecvMsg = 10;
    public const byte OpAsyncCancel = 14;
    public const byte OpSend = 26;
    public const byte OpRecv = 27;

    public const byte SqeLink = 1 << 2;
    public const byte SqeBufferSelect = 1 << 5;
    public const byte SqeSkipSuccess = 1 << 6;
    public const ushort RecvSendPollFirst = 1;
    public const uint CqeBuffer = 1;
    public const uint CqeMore = 2;
    public const int CqeBufferShift = 16;

    private const uint SetupCqSize = 1 << 3;
    private const uint SetupDisabled = 1 << 6;
    private const uint SetupSubmitAll = 1 << 7;
    private const uint SetupCoopTaskRun = 1 << 8;
    private const uint SetupSingleIssuer = 1 << 12;
    private const uint SetupDeferTaskRun = 1 << 13;
    private const uint FeatSingleMmap = 1;
    private const uint FeatNoDrop = 1 << 1;
    private const uint FeatExtArg = 1 << 8;
    private const uint FeatCqeSkip = 1 << 11;
    private const uint EnterGetEvents = 1;
    private const uint EnterExtArg = 1 << 3;
    private const uint PollAddMulti = 1;
    private const uint CancelAll = 1;
    private const uint CancelFd = 2;
    private const long SysSetup = 425;
    private const long SysEnter = 426;
    private const long SysRegister = 427;
    private const long OffSqes = 0x10000000;
    private const int ETIME = 62;
    private const int EBUSY = 16;

    private readonly int _fd;
    private readonly byte* _ring;
    private readonly nuint _ringSize;
    private readonly byte* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly byte* _cqes;
    private uint _sqeTail;
    private bool _disposed;

    private IoUring(int fd, byte* ring, nuint ringSize, byte* sqes, nuint sqesSize, byte* p)
    {
        _fd = fd;
        _ring = ring;
        _ringSize = ringSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        _sqEntries = *(uint*)p;
        _sqHead = (uint*)(ring + *(uint*)(p + 40));
        _sqTail = (uint*)(ring + *(uint*)(p + 44));
        _sqMask = *(uint*)(ring + *(uint*)(p + 48));
        _cqHead = (uint*)(ring + *(uint*)(p + 80));
        _cqTail = (uint*)(ring + *(uint*)(p + 84));
        _cqMask = *(uint*)(ring + *(uint*)(p + 88));
        _cqes = ring + *(uint*)(p + 100);
        _sqeTail = *_sqTail;

        // The indirection array maps slot i to entry i once, as liburing does.
        var array = (uint*)(ring + *(uint*)(p + 64));
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }
    }

    /// <summary>
    /// Starts the ring, created disabled so that buffers can be registered first on the creating
    /// thread: the calling thread becomes its only submitter.
    /// </summary>
    public bool Enable(out int errno)
    {
        const uint enableRings = 12;
        errno = Register(enableRings, null, 0) < 0 ? Libc.LastError : 0;
        return errno == 0;
    }

    /// <summary>
    /// A ring of <paramref name="entries"/> submissions and four times as many completions, disabled
    /// until <see cref="Enable"/>; null with <paramref name="errno"/> set where the
    /// kernel lacks what it needs (Linux 6.1: single issuer, deferred task work, provided buffer
    /// rings, completions skipped on success) or io_uring is turned off (<c>kernel.io_uring_disabled</c>, seccomp).
    /// </summary>
    public static IoUring? TryCreate(uint entries, out int errno)
    {
        errno = 0;
        if (!Libc.IsSupported)
        {
            errno = Libc.ENOSYS;
            return null;
        }

        var p = stackalloc byte[120];
        new Span<byte>(p, 120).Clear();
        *(uint*)(p + 4) = entries * 4;
        *(uint*)(p + 8) = SetupCqSize | SetupDisabled | SetupSubmitAll | SetupCoopTaskRun | SetupSingleIssuer | SetupDeferTaskRun;
        var fd = (int)Syscall(SysSetup, entries, (long)p, 0, 0, 0, 0);
        if (fd < 0)
        {
            errno = Libc.LastError;
            return null;
        }

        const uint needed = FeatSingleMmap | FeatNoDrop | FeatExtArg | FeatCqeSkip;
        if ((*(uint*)(p + 20) & needed) != needed)
        {
            Libc.Close(fd);
            errno = Libc.ENOSYS;
            return null;
        }

        var sqEntries = *(uint*)p;
        var cqEntries = *(uint*)(p + 4);
        var ringSize = (nuint)Math.Max(*(uint*)(p + 64) + sqEntries * 4, *(uint*)(p + 100) + cqEntries * 16);
        var ring = Mmap(null, ringSize, ProtReadWrite, MapSharedPopulate, fd, 0);
        var sqesSize = (nuint)(sqEntries * 64);
        var sqes = ring == MapFailed ? MapFailed : Mmap(null, sqesSize, ProtReadWrite, MapSharedPopulate, fd, OffSqes);
        if (ring == MapFailed || sqes == MapFailed)
        {
            errno = Libc.LastError;
            if (ring != MapFailed)
            {
                Munmap(ring, ringSize);
            }

            Libc.Close(fd);
            return null;
        }

        return new IoUring(fd, (byte*)ring, ringSize, (byte*)sqes, sqesSize, p);
    }

    /// <summary>Multishot poll for readability of <paramref name="fd"/> (the loop's epoll).</summary>
    public void PollMultishot(int fd, ulong userData)
    {
        var sqe = NextSqe(OpPollAdd, fd, userData);
        *(uint*)(sqe + 24) = PollAddMulti;
        *(uint*)(sqe + 28) = Libc.EPOLLIN;
    }

    /// <summary>One-shot poll for <paramref name="events"/> on <paramref name="fd"/>; completes at once when they are there.</summary>
    public void PollOnce(int fd, uint events, ulong userData)
    {
        var sqe = NextSqe(OpPollAdd, fd, userData);
        *(uint*)(sqe + 28) = events;
    }

    /// <summary>
    /// recv(2) of up to <paramref name="length"/> bytes into a buffer the kernel picks from <paramref name="group"/>
    /// when data arrives. <paramref name="pollFirst"/>: the socket is known to be empty, so the kernel waits for
    /// data before it tries, instead of trying once in vain (IORING_RECVSEND_POLL_FIRST).
    /// </summary>
    public void ReceiveSelect(int fd, ushort group, int length, ulong userData, bool pollFirst)
    {
        var sqe = NextSqe(OpRecv, fd, userData);
        sqe[1] = SqeBufferSelect;
        *(ushort*)(sqe + 2) = pollFirst ? RecvSendPollFirst : (ushort)0;
        *(uint*)(sqe + 24) = (uint)length;
        *(ushort*)(sqe + 40) = group;
    }

    /// <summary>send(2) of <paramref name="length"/> bytes at <paramref name="data"/>, which must stay put until it completes.</summary>
    public void Send(int fd, byte* data, int length, ulong userData)
    {
        var sqe = NextSqe(OpSend, fd, userData);
        *(ulong*)(sqe + 16) = (ulong)data;
        *(uint*)(sqe + 24) = (uint)length;
        *(uint*)(sqe + 28) = Libc.MSG_NOSIGNAL;
    }

    /// <summary>
    /// Prepares a chain that needs no completion of its send: send(2) of the first <paramref name="length"/>
    /// bytes of <paramref name="buffers"/>' buffer <paramref name="bufferId"/>, then, once every byte went, a receive from
    /// <paramref name="sourceFd"/> as <see cref="ReceiveSelect"/> with the socket known to be empty.
    /// The send posts no completion when it succeeds, so exactly one completion comes: the
    /// receive's, which also says the send is done, or the send's failure, after which the receive
    /// is dropped without one.
    /// </summary>
    public void SendThenReceive(int targetFd, IoUringBuffers buffers, int bufferId, int length, int sourceFd, ulong sendData, ulong receiveData)
    {
        Reserve(2); // a chain ends with its submission: both entries go to the kernel together
        var sqe = NextSqe(OpSend, targetFd, sendData);
        sqe[1] = SqeLink | SqeSkipSuccess;
        *(ulong*)(sqe + 16) = (ulong)buffers.Address(bufferId);
        *(uint*)(sqe + 24) = (uint)length;
        *(uint*)(sqe + 28) = Libc.MSG_NOSIGNAL | Libc.MSG_WAITALL; // all of it, or a failure that ends the chain
        ReceiveSelect(sourceFd, buffers.Group, buffers.BufferSize, receiveData, pollFirst: true);
    }

    /// <summary>
    /// recvmsg(2) into the buffer and source address <paramref name="message"/> (a <c>msghdr</c>) points to,
    /// which must stay put until it completes; the kernel writes the address's length and the flags back.
    /// </summary>
    public void ReceiveMessage(int fd, void* message, ulong userData, bool pollFirst)
    {
        var sqe = NextSqe(OpRecvMsg, fd, userData);
        *(ushort*)(sqe + 2) = pollFirst ? RecvSendPollFirst : (ushort)0;
        *(ulong*)(sqe + 16) = (ulong)message;
        *(uint*)(sqe + 24) = 1;
    }

    /// <summary>
    /// One datagram, send(2) or (with <paramref name="to"/>) sendto(2), that never waits for room
    /// (<c>MSG_DONTWAIT</c>) and posts a completion only when it fails. Issued while the next
    /// <see cref="SubmitAndWait"/> submits, which is when the kernel copies the bytes and the address:
    /// both may be reused once that call returned with <see cref="AllSubmitted"/>.
    /// </summary>
    public void SendDatagram(int fd, byte* data, int length, byte* to, int toLength, ulong userData)
    {
        var sqe = NextSqe(OpSend, fd, userData);
        sqe[1] = SqeSkipSuccess;
        *(ulong*)(sqe + 16) = (ulong)data;
        *(uint*)(sqe + 24) = (uint)length;
        *(uint*)(sqe + 28) = Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT;
        if (to is not null)
        {
            *(ulong*)(sqe + 8) = (ulong)to; // addr2: the destination (Linux 6.0)
            *(ushort*)(sqe + 44) = (ushort)toLength; // addr_len
        }
    }

    /// <summary>Whether every prepared entry went to the kernel (none is left for the next submission).</summary>
    public bool AllSubmitted => _sqeTail == Volatile.Read(ref *_sqHead);

    /// <summary>Cancels every operation in flight on <paramref name="fd"/>; each completes with ECANCELED.</summary>
    public void CancelAllOn(int fd, ulong userData)
    {
        var sqe = NextSqe(OpAsyncCancel, fd, userData);
        *(uint*)(sqe + 28) = CancelAll | CancelFd;
    }

    /// <summary>
    /// Submits what was prepared and waits until a completion is ready or
    /// <paramref name="timeoutMs"/> passed (-1: no limit, 0: do not wait). False only when the
    /// kernel refused for a reason other than an interrupt, a timeout or a full completion ring.
    /// </summary>
    public bool SubmitAndWait(int timeoutMs, out int errno)
    {
        errno = 0;
        var timespec = stackalloc long[2];
        var arg = stackalloc ulong[3];
        arg[0] = 0;
        arg[1] = 0;
        arg[2] = 0;
        if (timeoutMs >= 0)
        {
            timespec[0] = timeoutMs / 1000;
            timespec[1] = timeoutMs % 1000 * 1_000_000L;
            arg[2] = (ulong)timespec;
        }

        var toSubmit = _sqeTail - Volatile.Read(ref *_sqHead);
        var wait = timeoutMs == 0 ? 0u : 1u;
        Volatile.Write(ref *_sqTail, _sqeTail);
        if (Syscall(SysEnter, _fd, toSubmit, wait, EnterGetEvents | EnterExtArg, (long)arg, 24) >= 0)
        {
            return true;
        }

        errno = Libc.LastError;
        return errno is Libc.EINTR or ETIME or EBUSY or Libc.EAGAIN;
    }

    /// <summary>
    /// Hands each ready completion (user data, result, flags) to <paramref name="handle"/>, which may
    /// prepare more submissions.
    /// </summary>
    public void Drain<TState>(TState state, Action<TState, ulong, int, uint> handle)
    {
        var head = *_cqHead;
        for (var tail = Volatile.Read(ref *_cqTail); head != tail; tail = Volatile.Read(ref *_cqTail))
        {
            while (head != tail)
            {
                var cqe = _cqes + (head & _cqMask) * 16;
                var userData = *(ulong*)cqe;
                var result = *(int*)(cqe + 8);
                var flags = *(uint*)(cqe + 12);
                head++;
                Volatile.Write(ref *_cqHead, head); // the slot is free before the handler can fill the ring
                handle(state, userData, result, flags);
            }
        }
    }

    /// <summary>io_uring_register(2) on this ring.</summary>
    public int Register(uint opcode, void* arg, uint count) => (int)Syscall(SysRegister, _fd, opcode, (long)arg, count, 0, 0);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Munmap(_sqes, _sqesSize);
        Munmap(_ring, _ringSize);
        Libc.Close(_fd); // cancels whatever is still in flight
    }

    /// <summary>Submits what was prepared unless <paramref name="count"/> more entries fit.</summary>
    private void Reserve(int count)
    {
        if (_sqeTail - Volatile.Read(ref *_sqHead) + (uint)count > _sqEntries)
        {
            SubmitPrepared();
        }
    }

    private void SubmitPrepared()
    {
        Volatile.Write(ref *_sqTail, _sqeTail);
        var toSubmit = _sqeTail - Volatile.Read(ref *_sqHead);
        if (Syscall(SysEnter, _fd, toSubmit, 0, 0, 0, 0) < 0 || _sqeTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            throw new InvalidOperationException($"io_uring submission queue stays full: errno {Libc.LastError}");
        }
    }

    /// <summary>A zeroed entry with its opcode, descriptor and user data; a full ring is submitted first.</summary>
    private byte* NextSqe(byte opcode, int fd, ulong userData)
    {
        if (_sqeTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            SubmitPrepared();
        }

        var sqe = _sqes + (_sqeTail & _sqMask) * 64;
        new Span<byte>(sqe, 64).Clear();
        sqe[0] = opcode;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 32) = userData;
        _sqeTail++;
        return sqe;
    }

    private const int ProtReadWrite = 3;
    private const int MapSharedPopulate = 0x01 | 0x8000;
    private static readonly void* MapFailed = (void*)-1;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(void* address, nuint length);
}

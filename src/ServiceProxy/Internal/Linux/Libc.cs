using System.Runtime.InteropServices;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// The few Linux calls the splice engine needs, straight from libc. Constants are the x86-64 and
/// arm64 values (identical for everything used here).
/// </summary>
internal static partial class Libc
{
    private const string Lib = "libc";

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const uint EPOLLET = 1u << 31;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const uint SPLICE_F_MOVE = 1;
    public const uint SPLICE_F_NONBLOCK = 2;
    public const int F_SETPIPE_SZ = 1031;
    public const int F_GETFL = 3;
    public const int F_GETPIPE_SZ = 1032;
    public const int SHUT_WR = 1;
    public const int FIONBIO = 0x5421;
    public const int MSG_WAITALL = 0x100;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_WAITFORONE = 0x10000;
    public const int RLIMIT_NOFILE = 7;
    public const ulong RLIM_INFINITY = ulong.MaxValue;
    public const int O_RDONLY = 0;

    /// <summary>Bytes of the largest socket address the engine reads or writes (<c>sockaddr_in6</c>).</summary>
    public const int SockAddrSize = 28;

    /// <summary>
    /// How long accepting, and creating pipes, pause when the process is out of descriptors or
    /// memory, as Go's and Kestrel's accept loops do, rather than fail a syscall per event.
    /// </summary>
    public static readonly TimeSpan ResourceBackoff = TimeSpan.FromMilliseconds(100);

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOBUFS = 105;
    public const int EPIPE = 32;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;
    public const int EINPROGRESS = 115;
    public const int ECONNREFUSED = 111;
    public const int EMSGSIZE = 90;
    public const int EHOSTUNREACH = 113;
    public const int ENETUNREACH = 101;
    public const int EADDRNOTAVAIL = 99;

    /// <summary>
    /// <c>struct epoll_event</c> is packed (12 bytes) on x86-64 and naturally aligned (16 bytes)
    /// elsewhere; events are read from a byte buffer with these offsets.
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>The engine runs where splice(2) and epoll exist and the event layout is known.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int EpollCtl(int epfd, int op, int fd, byte* evt);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Lib, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    public static unsafe partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    public static unsafe partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "connect", SetLastError = true)]
    private static unsafe partial int Connect(int fd, byte* address, uint length);

    [LibraryImport(Lib, EntryPoint = "accept4", SetLastError = true)]
    private static unsafe partial int Accept4(int fd, byte* address, uint* addressLength, int flags);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "recvfrom", SetLastError = true)]
    public static unsafe partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [LibraryImport(Lib, EntryPoint = "sendto", SetLastError = true)]
    public static unsafe partial nint SendTo(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [LibraryImport(Lib, EntryPoint = "recvmmsg", SetLastError = true)]
    public static unsafe partial int RecvMmsg(int fd, MmsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Lib, EntryPoint = "sendmmsg", SetLastError = true)]
    public static unsafe partial int SendMmsg(int fd, MmsgHdr* messages, uint count, int flags);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial uint IfNameToIndex(string name);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    private static unsafe partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, int* arg);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    private static unsafe partial int GetRlimit(int resource, ulong* limits);

    [LibraryImport(Lib, EntryPoint = "setrlimit", SetLastError = true)]
    private static unsafe partial int SetRlimit(int resource, ulong* limits);

    [LibraryImport(Lib, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>RLIMIT_NOFILE's soft and hard values (<c>struct rlimit</c>: two 64-bit words on 64-bit Linux); false when getrlimit failed.</summary>
    public static unsafe bool TryGetDescriptorLimit(out ulong soft, out ulong hard)
    {
        var limits = stackalloc ulong[2];
        var ok = GetRlimit(RLIMIT_NOFILE, limits) == 0;
        (soft, hard) = ok ? (limits[0], limits[1]) : (0, 0);
        return ok;
    }

    /// <summary>setrlimit(RLIMIT_NOFILE); 0 or -1 with errno set.</summary>
    public static unsafe int SetDescriptorLimit(ulong soft, ulong hard)
    {
        var limits = stackalloc ulong[2];
        limits[0] = soft;
        limits[1] = hard;
        return SetRlimit(RLIMIT_NOFILE, limits);
    }

    public static int EpollAdd(int epfd, int fd, uint events, ulong data) => EpollCtl(epfd, EPOLL_CTL_ADD, fd, events, data);

    public static int EpollModify(int epfd, int fd, uint events, ulong data) => EpollCtl(epfd, EPOLL_CTL_MOD, fd, events, data);

    public static int EpollDelete(int epfd, int fd) => EpollCtl(epfd, EPOLL_CTL_DEL, fd, 0, 0);

    private static unsafe int EpollCtl(int epfd, int op, int fd, uint events, ulong data)
    {
        var evt = stackalloc byte[16];
        *(uint*)evt = events;
        *(ulong*)(evt + EpollDataOffset) = data;
        return EpollCtl(epfd, op, fd, evt);
    }

    /// <summary>
    /// Writes <paramref name="endpoint"/> as a Linux sockaddr_in (16 bytes) or sockaddr_in6 (28) into
    /// <paramref name="buffer"/>, without the allocation of <see cref="System.Net.EndPoint.Serialize"/>.
    /// </summary>
    public static ReadOnlySpan<byte> WriteSockAddr(System.Net.IPEndPoint endpoint, Span<byte> buffer)
    {
        var ipv6 = endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var length = ipv6 ? 28 : 16;
        buffer[..length].Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)(ipv6 ? 10 : 2)); // AF_INET6 / AF_INET, host order
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)endpoint.Port);
        if (ipv6)
        {
            endpoint.Address.TryWriteBytes(buffer.Slice(8, 16), out _);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)endpoint.Address.ScopeId);
        }
        else
        {
            endpoint.Address.TryWriteBytes(buffer.Slice(4, 4), out _);
        }

        return buffer[..length];
    }

    /// <summary>Reads a Linux sockaddr_in or sockaddr_in6, as accept(2) fills it; null for other families.</summary>
    public static System.Net.IPEndPoint? ReadSockAddr(ReadOnlySpan<byte> address)
    {
        if (address.Length < 16)
        {
            return null;
        }

        var family = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(address);
        var port = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        return family switch
        {
            2 => new System.Net.IPEndPoint(new System.Net.IPAddress(address.Slice(4, 4)), port),
            10 when address.Length >= 28 => new System.Net.IPEndPoint(
                new System.Net.IPAddress(address.Slice(8, 16), System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(address[24..])), port),
            _ => null,
        };
    }

    /// <summary>
    /// accept4(2), non-blocking and close-on-exec from the start: the accepted descriptor, or -1 with
    /// errno set; <paramref name="address"/> (28 bytes) receives the peer's sockaddr.
    /// </summary>
    public static unsafe int Accept(int fd, Span<byte> address)
    {
        fixed (byte* p = address)
        {
            var length = (uint)address.Length;
            return Accept4(fd, p, &length, O_NONBLOCK | O_CLOEXEC);
        }
    }

    /// <summary>connect(2) with a native sockaddr.</summary>
    public static unsafe int Connect(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* p = address)
        {
            return Connect(fd, p, (uint)address.Length);
        }
    }

    /// <summary>SO_LINGER on with a zero timeout: close(2) then sends RST instead of FIN.</summary>
    public static unsafe int SetLingerZero(int fd)
    {
        var linger = stackalloc int[2];
        linger[0] = 1; // l_onoff
        linger[1] = 0; // l_linger
        return SetSockOpt(fd, 1 /* SOL_SOCKET */, 13 /* SO_LINGER */, linger, 2 * sizeof(int));
    }

    /// <summary>SO_ERROR: the errno a non-blocking connect ended with, 0 when it connected.</summary>
    public static unsafe int SocketErrorOption(int fd)
    {
        int value = 0;
        uint length = sizeof(int);
        return GetSockOpt(fd, 1 /* SOL_SOCKET */, 4 /* SO_ERROR */, &value, &length) == 0 ? value : LastError;
    }

    /// <summary>The <see cref="System.Net.Sockets.SocketException"/> .NET would throw for <paramref name="errno"/>.</summary>
    public static System.Net.Sockets.SocketException SocketError(int errno) => new((int)(errno switch
    {
        ECONNREFUSED => System.Net.Sockets.SocketError.ConnectionRefused,
        EAGAIN => System.Net.Sockets.SocketError.WouldBlock,
        EMSGSIZE => System.Net.Sockets.SocketError.MessageSize,
        ENOBUFS => System.Net.Sockets.SocketError.NoBufferSpaceAvailable,
        ETIMEDOUT => System.Net.Sockets.SocketError.TimedOut,
        EHOSTUNREACH => System.Net.Sockets.SocketError.HostUnreachable,
        ENETUNREACH => System.Net.Sockets.SocketError.NetworkUnreachable,
        ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        EADDRNOTAVAIL => System.Net.Sockets.SocketError.AddressNotAvailable,
        EMFILE => System.Net.Sockets.SocketError.TooManyOpenSockets,
        _ => System.Net.Sockets.SocketError.SocketError,
    }));

    public static unsafe int EpollWait(int epfd, byte[] events, int timeout)
    {
        fixed (byte* p = events)
        {
            return EpollWait(epfd, p, events.Length / EpollEventSize, timeout);
        }
    }

    public static unsafe (uint Events, ulong Data) EpollEventAt(byte[] events, int index)
    {
        fixed (byte* p = &events[index * EpollEventSize])
        {
            return (*(uint*)p, *(ulong*)(p + EpollDataOffset));
        }
    }

    public static unsafe int Pipe(out int readFd, out int writeFd)
    {
        var fds = stackalloc int[2];
        var result = Pipe2(fds, O_NONBLOCK | O_CLOEXEC);
        readFd = fds[0];
        writeFd = fds[1];
        return result;
    }

    public static unsafe int SetNonBlocking(int fd)
    {
        var on = 1;
        return Ioctl(fd, FIONBIO, &on);
    }

    public static unsafe void EventFdSignal(int fd)
    {
        ulong one = 1;
        Write(fd, &one, sizeof(ulong));
    }

    public static unsafe void EventFdDrain(int fd)
    {
        ulong value;
        Read(fd, &value, sizeof(ulong));
    }
}

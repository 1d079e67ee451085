using System.Net.Sockets;

namespace ServiceProxy.Internal.Linux;

/// <summary>
/// The Linux event loops of one <see cref="ServiceProxyServer"/> and what they share: the kernel
/// pipes' budget and the descriptor kept in reserve for resetting clients when the process is out
/// of descriptors. The loops start on first use (the first port that needs them) and stop when the
/// group is disposed, after the server's ports have stopped; another server runs its own.
/// </summary>
internal sealed class EventLoopGroup : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly int _count;
    private readonly TimeSpan _busyPoll;
    private readonly RingSize? _ringSize;
    private int _ioUringErrno;
    private readonly Lock _gate = new();
    private EventLoop[]? _loops;
    private bool _disposed;

    /// <summary><paramref name="ioUring"/>: the loops relay TCP through io_uring where the kernel allows it.</summary>
    public EventLoopGroup(EventLoopOptions options, string name = "ServiceProxy loop", bool ioUring = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        _count = options.Count > 0 ? options.Count : Environment.ProcessorCount;
        _busyPoll = options.BusyPoll;
        _ringSize = ioUring ? new RingSize(options.IoUringEntries, options.IoUringBuffers) : null;
        Name = name;
    }

    /// <summary>
    /// Why the loops relay with splice although io_uring was asked for: the errno the kernel gave
    /// (ENOSYS when it lacks a feature, EPERM where it is turned off); 0 when it was not refused.
    /// </summary>
    public int IoUringErrno => Volatile.Read(ref _ioUringErrno);

    /// <summary>A loop could not set up its ring and relays with splice instead.</summary>
    public void IoUringRefused(int errno) => Interlocked.CompareExchange(ref _ioUringErrno, errno == 0 ? Libc.ENOSYS : errno, 0);

    /// <summary>Whether this platform runs the loops: epoll, splice(2) and a known event layout.</summary>
    public static bool IsSupported => Libc.IsSupported;

    /// <summary>The loop threads' name, followed by each loop's index.</summary>
    public string Name { get; }

    /// <summary>How many loops run once started.</summary>
    public int Count => _count;

    /// <summary>Kernel pipes the loops' splice relays hold, and their cap.</summary>
    public SplicePipes Pipes { get; } = new();

    /// <summary>The descriptor held for resetting pending clients when accept fails with EMFILE.</summary>
    public DescriptorReserve Reserve { get; } = new();

    /// <summary>Whether the loops were started.</summary>
    public bool IsStarted => Volatile.Read(ref _loops) is not null;

    /// <summary>Every loop, started on first use.</summary>
    public IReadOnlyList<EventLoop> Loops => Volatile.Read(ref _loops) ?? Start();

    /// <summary>The loop of a socket that has none yet (UDP), spread by descriptor.</summary>
    public EventLoop For(Socket socket)
    {
        var loops = Loops;
        return loops[(int)((ulong)socket.SafeHandle.DangerousGetHandle() % (ulong)loops.Count)];
    }

    /// <summary>The loop serving the fewest sockets: it takes a dial that no loop accepted.</summary>
    public EventLoop LeastBusy()
    {
        var loops = Loops;
        var least = loops[0];
        for (var i = 1; i < loops.Count; i++)
        {
            if (loops[i].Live < least.Live)
            {
                least = loops[i];
            }
        }

        return least;
    }

    /// <summary>Stops the loops' threads and closes their descriptors and the reserve; call after every port stopped.</summary>
    public void Dispose()
    {
        EventLoop[]? loops;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            loops = _loops;
        }

        foreach (var loop in loops ?? [])
        {
            loop.Stop(StopTimeout);
        }

        Reserve.Dispose();
    }

    private EventLoop[] Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loops is { } started)
            {
                return started;
            }

            if (!IsSupported)
            {
                throw new PlatformNotSupportedException("event loops need Linux on x64 or arm64");
            }

            var loops = new List<EventLoop>(_count);
            try
            {
                for (var i = 0; i < _count; i++)
                {
                    loops.Add(new EventLoop(this, i, _busyPoll, _ringSize));
                }
            }
            catch
            {
                loops.ForEach(l => l.Stop(StopTimeout));
                throw;
            }

            var array = loops.ToArray();
            Volatile.Write(ref _loops, array);
            return array;
        }
    }
}

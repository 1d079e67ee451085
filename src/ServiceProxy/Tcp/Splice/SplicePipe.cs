namespace ServiceProxy.Tcp.Splice;

/// <summary>
/// A kernel pipe that carries one direction's bytes between two sockets without copying them to
/// user space. A direction holds one only while bytes move; an idle connection holds none.
/// </summary>
internal sealed class SplicePipe(int readFd, int writeFd, int capacity)
{
    public int ReadFd { get; } = readFd;

    public int WriteFd { get; } = writeFd;

    /// <summary>Bytes the pipe holds at most (its F_GETPIPE_SZ).</summary>
    public int Capacity { get; } = capacity;

    public void Close()
    {
        Libc.Close(ReadFd);
        Libc.Close(WriteFd);
    }
}

/// <summary>Creates a pipe as pipe2(2) does: 0 and both ends, or -1 with errno set.</summary>
internal delegate int PipeFactory(out int readFd, out int writeFd);

/// <summary>
/// Empty pipes kept for reuse by one event loop (single-threaded), as HAProxy keeps its pipe pool:
/// creating a pipe costs two descriptors and a syscall or two. At most <c>maxIdle</c> are kept.
/// When the process is out of descriptors, bulk transfers are copied instead (see
/// <see cref="SpliceDirection"/>), and the pool tries pipe2 again only after <see cref="CreateRetryDelay"/>,
/// so a loop moving many chunks does not fail a syscall for each.
/// </summary>
internal sealed class SplicePipePool(int pipeSize, int maxIdle)
{
    private static readonly long CreateRetryDelay = System.Diagnostics.Stopwatch.Frequency / 10; // 100 ms, as LoopAcceptor's pause
    private static long s_rented;
    private static long s_inUse;
    private static long s_createFailures;
    private static long s_open;
    private static long s_maxOpen = long.MaxValue;
    private readonly Stack<SplicePipe> _idle = new();
    private long _nextCreate;

    /// <summary>Creates a kernel pipe: pipe2(2), or what a test puts there to fail as a process out of descriptors.</summary>
    internal static PipeFactory CreatePipe { get; set; } = Libc.Pipe;

    /// <summary>Pipes handed to directions so far, process-wide: bulk transfers use them, small messages never.</summary>
    public static long Rented => Interlocked.Read(ref s_rented);

    /// <summary>Pipes held by directions now, process-wide; idle connections hold none.</summary>
    public static long InUse => Interlocked.Read(ref s_inUse);

    /// <summary>Pipes that could not be created (out of descriptors), process-wide: their bytes were copied instead.</summary>
    public static long CreateFailures => Interlocked.Read(ref s_createFailures);

    /// <summary>Pipes open now, process-wide: held by directions or idle in a pool.</summary>
    public static long Open => Interlocked.Read(ref s_open);

    /// <summary>
    /// Most pipes open at once, process-wide, so pipes cannot take the descriptors kept for the
    /// rest of the process; past it <see cref="Rent"/> returns null as it does on EMFILE. Like
    /// the loops, process-wide: the last value set applies. Default unbounded.
    /// </summary>
    public static long MaxOpen
    {
        get => Interlocked.Read(ref s_maxOpen);
        set => Interlocked.Exchange(ref s_maxOpen, Math.Max(1, value));
    }

    /// <summary>Most bytes one direction reads at once (the bound per direction).</summary>
    public int ChunkSize { get; } = pipeSize;

    /// <summary>
    /// The loop's one copy buffer for small messages: read into it, sent at once, so it is free
    /// again before the next read. Pinned, so passing it to recv/send costs no pinning.
    /// </summary>
    public byte[] Scratch { get; } = GC.AllocateUninitializedArray<byte>(pipeSize, pinned: true);

    /// <summary>An empty pipe, or null when the process is out of descriptors (or was, less than <see cref="CreateRetryDelay"/> ago) or at <see cref="MaxOpen"/>.</summary>
    public SplicePipe? Rent()
    {
        var pipe = _idle.TryPop(out var idle) ? idle : Create();
        if (pipe is not null)
        {
            Interlocked.Increment(ref s_rented);
            Interlocked.Increment(ref s_inUse);
        }

        return pipe;
    }

    /// <summary>Takes back a pipe that holds no bytes.</summary>
    public void Return(SplicePipe pipe)
    {
        Interlocked.Decrement(ref s_inUse);
        // Past half the cap, idle pipes go back to the kernel: kept here they would starve other loops.
        if (_idle.Count < maxIdle && Open <= MaxOpen / 2)
        {
            _idle.Push(pipe);
        }
        else
        {
            Close(pipe);
        }
    }

    /// <summary>Closes a pipe that still holds bytes (its connection was aborted).</summary>
    public static void Discard(SplicePipe pipe)
    {
        Interlocked.Decrement(ref s_inUse);
        Close(pipe);
    }

    private static void Close(SplicePipe pipe)
    {
        Interlocked.Decrement(ref s_open);
        pipe.Close();
    }

    private SplicePipe? Create()
    {
        if (_nextCreate != 0 && System.Diagnostics.Stopwatch.GetTimestamp() < _nextCreate)
        {
            return null;
        }

        if (Interlocked.Increment(ref s_open) > MaxOpen)
        {
            Interlocked.Decrement(ref s_open);
            return null;
        }

        if (CreatePipe(out var readFd, out var writeFd) != 0)
        {
            Interlocked.Decrement(ref s_open);
            // EMFILE or ENFILE (ENOMEM at worst): descriptors come back as connections close.
            _nextCreate = System.Diagnostics.Stopwatch.GetTimestamp() + CreateRetryDelay;
            Interlocked.Increment(ref s_createFailures);
            return null;
        }

        _nextCreate = 0;

        var capacity = Libc.Fcntl(writeFd, Libc.F_GETPIPE_SZ, 0);
        if (capacity != ChunkSize)
        {
            // Fails past /proc/sys/fs/pipe-max-size for unprivileged users; the default size then stays.
            var set = Libc.Fcntl(writeFd, Libc.F_SETPIPE_SZ, ChunkSize);
            capacity = set > 0 ? set : capacity;
        }

        return new SplicePipe(readFd, writeFd, Math.Min(capacity, ChunkSize));
    }
}

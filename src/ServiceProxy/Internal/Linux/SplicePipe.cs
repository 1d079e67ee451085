namespace ServiceProxy.Internal.Linux;

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
/// The kernel pipes of one <see cref="EventLoopGroup"/>: how many are open, held, handed out and
/// could not be created, and the most that may be open at once, so pipes cannot take the
/// descriptors kept for the rest of the process.
/// </summary>
internal sealed class SplicePipes
{
    private long _rented;
    private long _inUse;
    private long _createFailures;
    private long _open;
    private long _maxOpen = long.MaxValue;

    /// <summary>Creates a kernel pipe: pipe2(2), or what a test puts there to fail as a process out of descriptors.</summary>
    public PipeFactory CreatePipe { get; set; } = Libc.Pipe;

    /// <summary>Pipes handed to directions so far: bulk transfers use them, small messages never.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    /// <summary>Pipes held by directions now; idle connections hold none.</summary>
    public long InUse => Interlocked.Read(ref _inUse);

    /// <summary>Pipes that could not be created (out of descriptors): their bytes were copied instead.</summary>
    public long CreateFailures => Interlocked.Read(ref _createFailures);

    /// <summary>Pipes open now: held by directions or idle in a pool.</summary>
    public long Open => Interlocked.Read(ref _open);

    /// <summary>
    /// Most pipes open at once; past it <see cref="SplicePipePool.Rent"/> returns null as it does
    /// on EMFILE. Default unbounded.
    /// </summary>
    public long MaxOpen
    {
        get => Interlocked.Read(ref _maxOpen);
        set => Interlocked.Exchange(ref _maxOpen, Math.Max(1, value));
    }

    public void OnRented()
    {
        Interlocked.Increment(ref _rented);
        Interlocked.Increment(ref _inUse);
    }

    public void OnReturned() => Interlocked.Decrement(ref _inUse);

    public void OnCreateFailed() => Interlocked.Increment(ref _createFailures);

    /// <summary>
    /// The process's descriptor budget, shared with proxied connections: a pipe takes two of its
    /// descriptors while open. Null: pipes are bounded by <see cref="MaxOpen"/> alone.
    /// </summary>
    public ConnectionBudget? Budget { get; set; }

    /// <summary>Counts a pipe about to be created; false (nothing counted) at <see cref="MaxOpen"/> or when the budget is spent.</summary>
    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _open) <= MaxOpen)
        {
            if (Budget?.TryAcquirePipe() != false)
            {
                return true;
            }
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    public void OnClosed()
    {
        Interlocked.Decrement(ref _open);
        Budget?.ReleasePipe();
    }
}

/// <summary>
/// Empty pipes kept for reuse by one event loop (single-threaded), as HAProxy keeps its pipe pool:
/// creating a pipe costs two descriptors and a syscall or two. At most <c>maxIdle</c> are kept.
/// When the process is out of descriptors, bulk transfers are copied instead (see
/// <see cref="SpliceDirection"/>), and the pool tries pipe2 again only after <see cref="CreateRetryDelay"/>,
/// so a loop moving many chunks does not fail a syscall for each.
/// </summary>
internal sealed class SplicePipePool(int pipeSize, int maxIdle, SplicePipes pipes)
{
    private static readonly long CreateRetryDelay = (long)(Libc.ResourceBackoff.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private readonly Stack<SplicePipe> _idle = new();
    private long _nextCreate;

    /// <summary>Most bytes one direction reads at once (the bound per direction).</summary>
    public int ChunkSize { get; } = pipeSize;

    /// <summary>
    /// The loop's one copy buffer for small messages: read into it, sent at once, so it is free
    /// again before the next read. Pinned, so passing it to recv/send costs no pinning.
    /// </summary>
    public byte[] Scratch { get; } = GC.AllocateUninitializedArray<byte>(pipeSize, pinned: true);

    /// <summary>An empty pipe, or null when the process is out of descriptors (or was, less than <see cref="CreateRetryDelay"/> ago) or at <see cref="SplicePipes.MaxOpen"/>.</summary>
    public SplicePipe? Rent()
    {
        var pipe = _idle.TryPop(out var idle) ? idle : Create();
        if (pipe is not null)
        {
            pipes.OnRented();
        }

        return pipe;
    }

    /// <summary>Takes back a pipe that holds no bytes.</summary>
    public void Return(SplicePipe pipe)
    {
        pipes.OnReturned();
        // Past half the cap, idle pipes go back to the kernel: kept here they would starve other loops.
        if (_idle.Count < maxIdle && pipes.Open <= pipes.MaxOpen / 2)
        {
            _idle.Push(pipe);
        }
        else
        {
            Close(pipe);
        }
    }

    /// <summary>Closes a pipe that still holds bytes (its connection was aborted).</summary>
    public void Discard(SplicePipe pipe)
    {
        pipes.OnReturned();
        Close(pipe);
    }

    /// <summary>Closes the idle pipes: their loop has stopped.</summary>
    public void Clear()
    {
        while (_idle.TryPop(out var pipe))
        {
            Close(pipe);
        }
    }

    private void Close(SplicePipe pipe)
    {
        pipes.OnClosed();
        pipe.Close();
    }

    private SplicePipe? Create()
    {
        if (_nextCreate != 0 && System.Diagnostics.Stopwatch.GetTimestamp() < _nextCreate)
        {
            return null;
        }

        if (!pipes.TryOpen())
        {
            return null;
        }

        if (pipes.CreatePipe(out var readFd, out var writeFd) != 0)
        {
            pipes.OnClosed();
            // EMFILE or ENFILE (ENOMEM at worst): descriptors come back as connections close.
            _nextCreate = System.Diagnostics.Stopwatch.GetTimestamp() + CreateRetryDelay;
            pipes.OnCreateFailed();
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

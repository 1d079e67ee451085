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

/// <summary>
/// Empty pipes kept for reuse by one event loop (single-threaded), as HAProxy keeps its pipe pool:
/// creating a pipe costs two descriptors and a syscall or two. At most <c>maxIdle</c> are kept.
/// </summary>
internal sealed class SplicePipePool(int pipeSize, int maxIdle)
{
    private static long s_rented;
    private static long s_inUse;
    private readonly Stack<SplicePipe> _idle = new();

    /// <summary>Pipes handed to directions so far, process-wide: bulk transfers use them, small messages never.</summary>
    public static long Rented => Interlocked.Read(ref s_rented);

    /// <summary>Pipes held by directions now, process-wide; idle connections hold none.</summary>
    public static long InUse => Interlocked.Read(ref s_inUse);

    /// <summary>Most bytes one direction reads at once (the bound per direction).</summary>
    public int ChunkSize { get; } = pipeSize;

    /// <summary>
    /// The loop's one copy buffer for small messages: read into it, sent at once, so it is free
    /// again before the next read. Pinned, so passing it to recv/send costs no pinning.
    /// </summary>
    public byte[] Scratch { get; } = GC.AllocateUninitializedArray<byte>(pipeSize, pinned: true);

    /// <summary>An empty pipe, or null when the process is out of descriptors.</summary>
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
        if (_idle.Count < maxIdle)
        {
            _idle.Push(pipe);
        }
        else
        {
            pipe.Close();
        }
    }

    /// <summary>Closes a pipe that still holds bytes (its connection was aborted).</summary>
    public static void Discard(SplicePipe pipe)
    {
        Interlocked.Decrement(ref s_inUse);
        pipe.Close();
    }

    private SplicePipe? Create()
    {
        if (Libc.Pipe(out var readFd, out var writeFd) != 0)
        {
            return null;
        }

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

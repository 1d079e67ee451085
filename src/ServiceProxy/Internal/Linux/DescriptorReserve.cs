namespace ServiceProxy.Internal.Linux;

/// <summary>
/// One descriptor held open (on /dev/null) for when accept fails with EMFILE, the classic trick
/// (libev, libuv): closing it frees a slot to accept one pending client and reset it at once, so a
/// client learns the process is full instead of waiting in the listen backlog until it times out.
/// One per <see cref="EventLoopGroup"/>; Linux only.
/// </summary>
internal sealed class DescriptorReserve : IDisposable
{
    private const int MaxResetsPerCall = 16;
    private int _fd = -1;

    /// <summary>Opens the reserve if it is not held; false when it could not be (no descriptor free).</summary>
    public bool Ensure()
    {
        if (!Libc.IsSupported || Volatile.Read(ref _fd) >= 0)
        {
            return Volatile.Read(ref _fd) >= 0;
        }

        var fd = Libc.Open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _fd, fd, -1) != -1)
        {
            Libc.Close(fd); // another thread reopened it first
        }

        return true;
    }

    /// <summary>
    /// Accepts and resets clients pending on <paramref name="listenerFd"/> (non-blocking) with the
    /// reserve's slot, up to 16, while the slot can be taken back each time; returns how many.
    /// The caller serialises accepts on the listener.
    /// </summary>
    public int ResetPending(int listenerFd)
    {
        Span<byte> address = stackalloc byte[Libc.SockAddrSize];
        var reset = 0;
        while (reset < MaxResetsPerCall)
        {
            var reserve = Interlocked.Exchange(ref _fd, -1);
            if (reserve < 0)
            {
                break; // another thread is using it, or it could not be reopened
            }

            Libc.Close(reserve);
            var client = Libc.Accept(listenerFd, address);
            if (client >= 0)
            {
                Libc.SetLingerZero(client);
                Libc.Close(client);
                reset++;
            }

            if (!Ensure() || client < 0)
            {
                break;
            }
        }

        return reset;
    }

    /// <summary>Closes the reserve; a later <see cref="Ensure"/> opens it again.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Libc.Close(fd);
        }
    }
}

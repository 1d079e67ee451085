namespace ServiceProxy.Tcp.Splice;

/// <summary>
/// Which loop connected a backend descriptor, so its relay runs on the same loop and reuses the
/// connect's epoll registration. Descriptors are small integers, so a table indexed by descriptor
/// does: pages of 4 096 entries, each created on first use (lock-free), no allocation per connection.
/// </summary>
/// <remarks>
/// An entry is written before the connect starts and read after it completed, while the socket is
/// open, so a descriptor cannot be reused between the two. Descriptors past
/// <see cref="MaxDescriptors"/> (Linux's default ceiling, fs.nr_open) are not recorded; their relay
/// finds its loop by descriptor instead, which only costs a second epoll registration.
/// </remarks>
internal static class LoopByDescriptor
{
    public const int MaxDescriptors = 1 << 20;
    private const int PageBits = 12;
    private const int PageMask = (1 << PageBits) - 1;
    private static readonly int[]?[] s_pages = new int[]?[MaxDescriptors >> PageBits];

    public static void Set(int fd, int loop)
    {
        if ((uint)fd >= MaxDescriptors)
        {
            return;
        }

        ref var slot = ref s_pages[fd >> PageBits];
        var page = Volatile.Read(ref slot) ?? Interlocked.CompareExchange(ref slot, new int[PageMask + 1], null) ?? slot!;
        Volatile.Write(ref page[fd & PageMask], loop + 1);
    }

    /// <summary>The loop index recorded for <paramref name="fd"/>, or -1.</summary>
    public static int Get(int fd)
    {
        if ((uint)fd >= MaxDescriptors || Volatile.Read(ref s_pages[fd >> PageBits]) is not { } page)
        {
            return -1;
        }

        return Volatile.Read(ref page[fd & PageMask]) - 1;
    }
}

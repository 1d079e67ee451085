namespace ServiceProxy.Tcp.Splice;

/// <summary>
/// Which loop connected a backend descriptor, so its relay runs on the same loop and reuses the
/// connect's epoll registration. Descriptors are small integers, bounded by the process's open-file
/// limit, so a growable array indexed by descriptor does: no allocation per connection.
/// </summary>
/// <remarks>
/// An entry is written before the connect starts and read after it completed, while the socket is
/// open, so a descriptor cannot be reused between the two. Writes take a lock (growth copies the
/// array); reads need none.
/// </remarks>
internal static class LoopByDescriptor
{
    private static readonly Lock s_gate = new();
    private static int[] s_table = new int[1024];

    public static void Set(int fd, int loop)
    {
        if (fd < 0)
        {
            return;
        }

        lock (s_gate)
        {
            var table = s_table;
            if (fd >= table.Length)
            {
                var bigger = new int[Math.Max(fd + 1, table.Length * 2)];
                Array.Copy(table, bigger, table.Length);
                Volatile.Write(ref s_table, bigger);
                table = bigger;
            }

            table[fd] = loop + 1;
        }
    }

    /// <summary>The loop index recorded for <paramref name="fd"/>, or -1.</summary>
    public static int Get(int fd)
    {
        var table = Volatile.Read(ref s_table);
        return fd >= 0 && fd < table.Length ? Volatile.Read(ref table[fd]) - 1 : -1;
    }
}

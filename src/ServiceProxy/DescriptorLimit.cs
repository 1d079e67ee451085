using ServiceProxy.Internal.Linux;

namespace ServiceProxy;

/// <summary>
/// The process's descriptor limit (RLIMIT_NOFILE) on Linux: every proxied TCP connection holds
/// two descriptors, so it bounds how many connections the process can carry. Elsewhere nothing is known.
/// </summary>
/// <remarks>
/// The .NET runtime already raises the soft limit to the hard one at start on glibc (as Go's
/// runtime does since 1.19), but not on musl (Alpine images). Raising it is the application's
/// decision, not the library's: the new limit is inherited by every child process, and code that
/// uses select(2) breaks past 1024 descriptors. So <see cref="ServiceProxyServer"/> only reads the
/// limit; an application calls <see cref="RaiseSoftToHard"/> at start, as <c>svcproxy</c> does.
/// </remarks>
public static class DescriptorLimit
{
    /// <summary>The soft limit: the most descriptors this process may hold now; null where unknown (not Linux, or no limit).</summary>
    public static long? Soft =>
        OperatingSystem.IsLinux() && Libc.TryGetDescriptorLimit(out var soft, out _) && soft < long.MaxValue ? (long)soft : null;

    /// <summary>
    /// Raises the soft limit to the hard one, which an unprivileged process may do; returns the soft
    /// limit after the attempt (null where unknown). A hard limit of "unlimited" is left alone: the
    /// kernel refuses more than fs.nr_open anyway.
    /// </summary>
    public static long? RaiseSoftToHard()
    {
        if (!OperatingSystem.IsLinux() || !Libc.TryGetDescriptorLimit(out var soft, out var hard))
        {
            return null;
        }

        if (soft < hard && hard != Libc.RLIM_INFINITY)
        {
            Libc.SetDescriptorLimit(hard, hard);
        }

        return Soft;
    }

    /// <summary>Descriptors open now (entries of /proc/self/fd, less the one reading it); null where unknown.</summary>
    internal static int? OpenNow()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return Math.Max(0, Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() - 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

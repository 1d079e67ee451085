using System.Runtime.InteropServices;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>Descriptor counting and the descriptor limit of the test process (Linux).</summary>
public static class ProcessResources
{
    private const int RlimitNofile = 7;

    public static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.</summary>
    public static long RaiseDescriptorLimit()
    {
        if (GetRlimit(RlimitNofile, out var limit) != 0)
        {
            return -1;
        }

        if (limit.Current < limit.Max)
        {
            var raised = limit with { Current = limit.Max };
            if (SetRlimit(RlimitNofile, in raised) == 0)
            {
                return (long)raised.Current;
            }
        }

        return (long)limit.Current;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Max);

    // DllImport rather than LibraryImport: the latter needs unsafe code in the test project.
    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRlimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRlimit(int resource, in RLimit limit);
}

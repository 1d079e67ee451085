using ServiceProxy.Tcp;

namespace ServiceProxy;

/// <summary>
/// The Linux event loops of a <see cref="ServiceProxyServer"/>: epoll threads that accept, dial and
/// relay TCP connections (the <see cref="RelayEngine.Splice"/> engine) and read every UDP port,
/// whatever the TCP engine. Each server runs its own loops, started with the first port that needs
/// them and stopped when the server is disposed. Unused where the loops do not exist (not Linux).
/// </summary>
public sealed class EventLoopOptions
{
    /// <summary>How many loops to run; zero means one per core. Default zero.</summary>
    public int Count { get; set; }

    /// <summary>
    /// How long a loop keeps polling after its last event before it sleeps, trading CPU for latency
    /// as HAProxy's <c>busy-polling</c> does, while the loop serves at most 16 sockets (with more,
    /// events rarely leave it idle, and spinning between them takes CPU from the kernel's network
    /// work). A loop polls only while the average gap between its events is shorter than this
    /// window, so a paced exchange whose messages come further apart costs no polling; after each
    /// window that ends without an event it sleeps through twice as many wake-ups before it polls
    /// again. Default zero: sleep at once.
    /// </summary>
    public TimeSpan BusyPoll { get; set; }

    /// <summary>
    /// <see cref="RelayEngine.IoUring"/>: most 16 KiB buffers one loop allocates for bytes between
    /// their receive and their send (a power of two). Tests lower it to make every buffer busy.
    /// </summary>
    internal int IoUringBuffers { get; set; } = 2048;

    /// <summary>
    /// <see cref="RelayEngine.IoUring"/>: submission entries of each loop's ring (the completion
    /// ring has four times as many). Tests pass 0, which the kernel refuses, to see the fallback.
    /// </summary>
    internal uint IoUringEntries { get; set; } = 4096;
}

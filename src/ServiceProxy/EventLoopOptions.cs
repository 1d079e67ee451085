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
    /// work). Default zero: sleep at once.
    /// </summary>
    public TimeSpan BusyPoll { get; set; }
}

using Microsoft.Extensions.Logging;
using ServiceProxy.Diagnostics;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy;

/// <summary>
/// The descriptors proxied traffic may hold at once across every port of a
/// <see cref="ServiceProxyServer"/>, TCP and UDP alike: room for
/// <see cref="ServiceProxyOptions.MaxConnections"/> TCP connections of two sockets each. A UDP
/// session (one connected socket) takes one, and UDP sessions together at most half of them
/// (<see cref="MaxSessions"/>): a new flow costs a sender one datagram from any, even spoofed,
/// source, a TCP connection a handshake, so a UDP flood must not take what TCP clients need. A TCP
/// client beyond the budget is reset at accept; a new UDP flow beyond it is dropped, while the
/// sessions already open keep working. The splice engine's kernel pipes (two descriptors each) draw on
/// the same budget while they are open: a direction holds one only while bytes move, so idle
/// connections reserve none, and a pipe that does not fit makes its bytes be copied instead.
/// Lock-free: descriptors are counted before they are checked, so concurrent takers can refuse one
/// too many at the limit, never admit one too many.
/// </summary>
internal sealed class ConnectionBudget(int max)
{
    /// <summary>
    /// Descriptors left for everything but proxied traffic: the admin API's listener and
    /// clients, assemblies it loads on first use (two descriptors each), persistence, threads the
    /// runtime starts, the loops' epoll and eventfd. The runtime aborts the process when it cannot
    /// get one of these, so proxied connections and sessions must never take them.
    /// </summary>
    public const int ReservedDescriptors = 96;

    private const int ConnectionDescriptors = 2;
    private const int PipeDescriptors = 2;

    private long _descriptors;
    private long _sessions;

    /// <summary>TCP connections, when no UDP session holds a descriptor.</summary>
    public int Max { get; } = max;

    public long MaxDescriptors { get; } = (long)max * ConnectionDescriptors;

    /// <summary>UDP sessions: half the descriptors (as many as <see cref="Max"/>).</summary>
    public long MaxSessions { get; } = max;

    /// <summary>Descriptors taken now, by connections and sessions.</summary>
    public long Descriptors => Interlocked.Read(ref _descriptors);

    /// <summary>UDP sessions open now.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>Takes the two descriptors of a TCP connection; false when they would exceed the budget.</summary>
    public bool TryAcquireConnection() => TryTake(ref _descriptors, ConnectionDescriptors, MaxDescriptors);

    public void ReleaseConnection() => Interlocked.Add(ref _descriptors, -ConnectionDescriptors);

    /// <summary>Takes the two descriptors of a kernel pipe; false when they would exceed the budget.</summary>
    public bool TryAcquirePipe() => TryTake(ref _descriptors, PipeDescriptors, MaxDescriptors);

    public void ReleasePipe() => Interlocked.Add(ref _descriptors, -PipeDescriptors);

    /// <summary>Takes the descriptor of a UDP session; false when it would exceed the budget or UDP's half of it.</summary>
    public bool TryAcquireSession()
    {
        if (!TryTake(ref _sessions, 1, MaxSessions))
        {
            return false;
        }

        if (TryTake(ref _descriptors, 1, MaxDescriptors))
        {
            return true;
        }

        Interlocked.Decrement(ref _sessions);
        return false;
    }

    public void ReleaseSession()
    {
        Interlocked.Decrement(ref _descriptors);
        Interlocked.Decrement(ref _sessions);
    }

    private static bool TryTake(ref long counter, int count, long max)
    {
        if (Interlocked.Add(ref counter, count) <= max)
        {
            return true;
        }

        Interlocked.Add(ref counter, -count);
        return false;
    }

    /// <summary>
    /// The budget of a server: <see cref="ServiceProxyOptions.MaxConnections"/> when set, else what
    /// the descriptor limit fits (<see cref="Derive"/>); caps the splice engine's <paramref name="pipes"/> to match.
    /// </summary>
    public static ConnectionBudget Create(ServiceProxyOptions options, bool splice, SplicePipes pipes, ILogger logger)
    {
        var limit = DescriptorLimit.Soft;
        var open = DescriptorLimit.OpenNow() ?? 0;
        var fits = Derive(limit, open);
        ConnectionBudget budget;
        if (options.MaxConnections > 0)
        {
            Log.TcpMaxConnectionsConfigured(logger, options.MaxConnections, limit, fits);
            budget = new ConnectionBudget(options.MaxConnections);
        }
        else
        {
            if (limit is { } descriptors)
            {
                Log.TcpMaxConnectionsDerived(logger, fits, descriptors, open, ReservedDescriptors);
            }

            budget = new ConnectionBudget(fits);
        }

        if (splice && limit is not null)
        {
            pipes.MaxOpen = MaxPipes(budget.Max);
            pipes.Budget = budget;
        }

        return budget;
    }

    /// <summary>
    /// The connections that fit in <paramref name="limit"/> descriptors, <paramref name="open"/> of
    /// them already taken, less <see cref="ReservedDescriptors"/>: two per connection (client and
    /// backend sockets). The splice engine's pipes share these descriptors while they are open, so
    /// at the limit active connections copy rather than splice. At least 1; no limit
    /// (int.MaxValue) where the descriptor limit is unknown.
    /// </summary>
    public static int Derive(long? limit, int open)
    {
        if (limit is not { } descriptors)
        {
            return int.MaxValue;
        }

        var available = descriptors - open - ReservedDescriptors;
        return (int)Math.Clamp(available / 2, 1, int.MaxValue);
    }

    /// <summary>Kernel pipes (two descriptors each) the splice engine may hold open for <paramref name="connections"/> connections.</summary>
    public static int MaxPipes(int connections) => Math.Max(1, connections / 4);
}

namespace ServiceProxy.Tcp;

/// <summary>
/// How many proxied TCP connections a <see cref="ServiceProxyServer"/> carries at once, across all
/// its ports (<see cref="ServiceProxyOptions.MaxConnections"/>). A client beyond it is reset at
/// accept. Lock-free: a taken slot is counted before it is checked, so concurrent accepts can
/// refuse one client too many at the limit, never admit one too many.
/// </summary>
internal sealed class ConnectionBudget(int max)
{
    /// <summary>
    /// Descriptors left for everything but proxied connections: the admin API's listener and
    /// clients, assemblies it loads on first use (two descriptors each), persistence, threads the
    /// runtime starts, the loops' epoll and eventfd. The runtime aborts the process when it cannot
    /// get one of these, so proxied connections must never take them.
    /// </summary>
    public const int ReservedDescriptors = 96;

    private long _open;

    public int Max { get; } = max;

    public long Open => Interlocked.Read(ref _open);

    public bool TryAcquire()
    {
        if (Interlocked.Increment(ref _open) <= Max)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _open);

    /// <summary>
    /// The connections that fit in <paramref name="limit"/> descriptors, <paramref name="open"/> of
    /// them already taken, less <see cref="ReservedDescriptors"/>: two per connection (client and
    /// backend sockets), plus, for the splice engine, kernel pipes capped at a quarter of the
    /// connections (<see cref="MaxPipes"/>, HAProxy's <c>maxpipes</c> default), so 2.5. At least 1;
    /// no limit (int.MaxValue) where the descriptor limit is unknown.
    /// </summary>
    public static int Derive(long? limit, int open, bool splice)
    {
        if (limit is not { } descriptors)
        {
            return int.MaxValue;
        }

        var available = descriptors - open - ReservedDescriptors;
        var connections = splice ? available * 2 / 5 : available / 2;
        return (int)Math.Clamp(connections, 1, int.MaxValue);
    }

    /// <summary>Kernel pipes (two descriptors each) the splice engine may hold open for <paramref name="connections"/> connections.</summary>
    public static int MaxPipes(int connections) => Math.Max(1, connections / 4);
}

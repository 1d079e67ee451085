using ServiceProxy.Configuration;

namespace ServiceProxy.Hosting;

/// <summary>
/// Serves one service port (TCP or UDP): its listeners on every listen address, sharing one
/// balancer. Created by <c>ServiceProxyServer</c> when a port appears, updated in place while its
/// listen addresses stay the same, stopped when it goes.
/// </summary>
internal interface IServicePortProxy : IAsyncDisposable
{
    ServicePortKey Key { get; }

    ServicePortConfig Config { get; }

    /// <summary>Binds every listen address. A bind failure is reported in <see cref="Status"/>, not thrown.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// New endpoints or affinity, same listeners: touches only the balancer. Throws
    /// <see cref="ArgumentException"/> when the key or listen addresses differ
    /// (<see cref="ServicePortConfig.HasSameListeners"/>): such a port is replaced, not updated.
    /// </summary>
    void Update(ServicePortConfig config);

    /// <summary>Stops accepting; established traffic may continue up to <paramref name="drainTimeout"/>, then is closed.</summary>
    Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken);

    ServicePortStatus Status { get; }
}

/// <summary>What every <see cref="IServicePortProxy"/> checks the same way.</summary>
internal static class ServicePortProxyChecks
{
    /// <summary>Throws when <paramref name="next"/> needs other listeners than <paramref name="current"/>.</summary>
    public static void EnsureSameListeners(ServicePortConfig current, ServicePortConfig next)
    {
        if (!next.HasSameListeners(current))
        {
            throw new ArgumentException($"{next.Key}: listen addresses changed; replace the proxy instead.", nameof(next));
        }
    }
}

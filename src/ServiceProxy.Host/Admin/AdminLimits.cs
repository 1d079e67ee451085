namespace ServiceProxy.Host.Admin;

/// <summary>
/// Bounds on what clients of the admin API may hold open. kubectl holds one connection per command
/// (two or three while it discovers and applies) and one per <c>get -w</c>, as does each
/// KubernetesClient informer, so these leave room for dozens of operators and controllers while a
/// flood cannot take the descriptors and memory the data plane needs.
/// </summary>
internal static class AdminLimits
{
    /// <summary>Kestrel's MaxConcurrentConnections: beyond it a new connection is closed unanswered.</summary>
    public const int MaxConnections = 256;

    /// <summary>
    /// Kestrel's MaxConcurrentUpgradedConnections. No endpoint upgrades a connection (no exec,
    /// attach or port-forward), so nothing legitimate needs more than a handful.
    /// </summary>
    public const int MaxUpgradedConnections = 16;

    /// <summary>
    /// Concurrent watches, process-wide; beyond it a watch is a 429 TooManyRequests Status with
    /// Retry-After, as kube-apiserver's max-in-flight filter answers. Below <see cref="MaxConnections"/>
    /// so that over HTTP/1.1 a refused watch still gets its answer.
    /// </summary>
    public const int MaxWatches = 128;
}

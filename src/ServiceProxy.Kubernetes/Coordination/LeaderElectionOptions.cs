namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>
/// Leader election of the controllers among processes sharing an etcd cluster, with
/// kube-controller-manager's defaults. Without <see cref="EtcdServers"/> the process leads alone.
/// </summary>
public sealed class LeaderElectionOptions
{
    /// <summary>etcd endpoints, comma-separated (<c>http://127.0.0.1:2379,http://127.0.0.1:22379</c>); empty: single process, always leader.</summary>
    public string? EtcdServers { get; set; }

    /// <summary>
    /// The election key in etcd: beside the registry's objects, never among them, so no Lease written
    /// through the API can overwrite it.
    /// </summary>
    public string Key { get; set; } = "/registry/serviceproxy.io/elections/controllers";

    /// <summary>
    /// The etcd lease's TTL: how long the other candidates wait after the leader stops renewing
    /// before one takes over (<c>--leader-elect-lease-duration</c>). Default 15 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the leader keeps leading without a successful renewal before it stops its controllers
    /// (<c>--leader-elect-renew-deadline</c>); shorter than <see cref="LeaseDuration"/>, so it has stopped
    /// before another can take over. Default 10 s.
    /// </summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates try to acquire and the leader renews (<c>--leader-elect-retry-period</c>). Default 2 s.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}

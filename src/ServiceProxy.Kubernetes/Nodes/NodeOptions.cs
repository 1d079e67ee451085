namespace ServiceProxy.Kubernetes.Nodes;

/// <summary>
/// This process as a Kubernetes Node: whether and as what it registers, how often it renews its
/// heartbeat Lease, and how long the node lifecycle controller waits for a silent node.
/// </summary>
public sealed class NodeOptions
{
    /// <summary>
    /// The Node this process registers and keeps Ready (a DNS subdomain). Default none: the process
    /// registers no Node, and the lifecycle controller still watches the Nodes others register.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// Role labels (<c>node-role.kubernetes.io/ROLE</c>) the Node carries, which <c>kubectl get nodes</c>
    /// prints as ROLES. Default none.
    /// </summary>
    public IList<string> Roles { get; set; } = [];

    /// <summary>The version the Node reports (<c>status.nodeInfo.kubeletVersion</c>, VERSION). Default this package's version.</summary>
    public string? Version { get; set; }

    /// <summary>How often the Node's Lease is renewed, as the kubelet's <c>nodeLeaseRenewInterval</c>. Default 10 s.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The Lease's <c>leaseDurationSeconds</c>, as the kubelet's <c>nodeLeaseDurationSeconds</c>. Default 40 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long a Node's Lease may go unrenewed before the lifecycle controller marks it
    /// <c>Ready=Unknown</c> (NotReady), as kube-controller-manager's <c>--node-monitor-grace-period</c>. Default 40 s.
    /// </summary>
    public TimeSpan MonitorGracePeriod { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>How often the lifecycle controller checks the Leases (<c>--node-monitor-period</c>). Default 5 s.</summary>
    public TimeSpan MonitorPeriod { get; set; } = TimeSpan.FromSeconds(5);
}

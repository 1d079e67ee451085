namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>The ranges the registry allocates service cluster IPs and node ports from.</summary>
public sealed class AllocationOptions
{
    /// <summary>
    /// The service IP range (<c>--service-cluster-ip-range</c>), IPv4 or IPv6, at most 20 host bits.
    /// Default <c>127.100.0.0/16</c>: loopback, so a Linux host can bind every cluster IP with no setup.
    /// </summary>
    public string ServiceCidr { get; set; } = "127.100.0.0/16";

    /// <summary>The node port range (<c>--service-node-port-range</c>), inclusive. Default <c>30000-32767</c>.</summary>
    public string NodePortRange { get; set; } = "30000-32767";
}

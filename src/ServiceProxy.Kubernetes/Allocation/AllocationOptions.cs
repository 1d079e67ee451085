namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>The ranges the registry allocates service cluster IPs, node ports and load-balancer addresses from.</summary>
public sealed class AllocationOptions
{
    /// <summary>
    /// The service IP ranges (<c>--service-cluster-ip-range</c>): one CIDR, or two of different families
    /// separated by a comma (<c>127.100.0.0/16,fd00:10:96::/112</c>), each at most 20 host bits. The
    /// first is the primary range: a Service that names no family gets its family. Default
    /// <c>127.100.0.0/16</c>: loopback, so a Linux host can bind every cluster IP with no setup.
    /// </summary>
    public string ServiceCidr { get; set; } = "127.100.0.0/16";

    /// <summary>The node port range (<c>--service-node-port-range</c>), inclusive. Default <c>30000-32767</c>.</summary>
    public string NodePortRange { get; set; } = "30000-32767";

    /// <summary>
    /// The addresses LoadBalancer Services get in <c>status.loadBalancer.ingress</c>: CIDRs or single
    /// addresses separated by commas, every address of each usable, lowest first; empty gives none.
    /// The host must be able to bind them. Default <c>127.101.0.0/24</c>: loopback, so it works with no setup on Linux.
    /// </summary>
    public string LoadBalancerPool { get; set; } = "127.101.0.0/24";
}

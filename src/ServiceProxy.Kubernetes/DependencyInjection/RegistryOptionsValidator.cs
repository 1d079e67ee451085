using Microsoft.Extensions.Options;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Dns;
using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Nodes;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes;

/// <summary>
/// Checks <see cref="RegistryOptions"/> when the host starts, so a malformed range stops it before
/// anything binds. Each failure begins with the key of its setting within the registry's section
/// (<c>Allocation:NodePortRange: …</c>).
/// </summary>
internal sealed class RegistryOptionsValidator : IValidateOptions<RegistryOptions>
{
    public const string ServiceCidrKey = $"{nameof(RegistryOptions.Allocation)}:{nameof(AllocationOptions.ServiceCidr)}";

    public const string NodePortRangeKey = $"{nameof(RegistryOptions.Allocation)}:{nameof(AllocationOptions.NodePortRange)}";

    public const string LoadBalancerPoolKey = $"{nameof(RegistryOptions.Allocation)}:{nameof(AllocationOptions.LoadBalancerPool)}";

    public const string ClusterDomainKey = $"{nameof(RegistryOptions.Dns)}:{nameof(ClusterDnsOptions.ClusterDomain)}";

    public const string DnsTtlKey = $"{nameof(RegistryOptions.Dns)}:{nameof(ClusterDnsOptions.Ttl)}";

    public ValidateOptionsResult Validate(string? name, RegistryOptions options)
    {
        List<string> failures = [];
        IReadOnlyList<ServiceCidr> cidrs = [];
        try
        {
            cidrs = ServiceCidr.ParseList(options.Allocation.ServiceCidr);
        }
        catch (FormatException e)
        {
            failures.Add($"{ServiceCidrKey}: {e.Message}");
        }

        try
        {
            _ = ClusterCidrs.Parse(options.ClusterCidr);
        }
        catch (FormatException e)
        {
            failures.Add($"{nameof(RegistryOptions.ClusterCidr)}: {e.Message}");
        }

        try
        {
            _ = Registry.ProxyShard.Parse(options.ProxyShard);
        }
        catch (FormatException e)
        {
            failures.Add($"{nameof(RegistryOptions.ProxyShard)}: {e.Message}");
        }

        try
        {
            _ = PortRange.Parse(options.Allocation.NodePortRange);
        }
        catch (FormatException e)
        {
            failures.Add($"{NodePortRangeKey}: {e.Message}");
        }

        try
        {
            var pool = LoadBalancerPool.Parse(options.Allocation.LoadBalancerPool);
            foreach (var cidr in cidrs)
            {
                if (pool.Overlapping(cidr) is { } overlap)
                {
                    // A load-balancer address equal to a cluster IP would have two Services listen on one address and port.
                    failures.Add($"{LoadBalancerPoolKey}: \"{overlap}\" overlaps the service CIDR {cidr}");
                }
            }
        }
        catch (FormatException e)
        {
            failures.Add($"{LoadBalancerPoolKey}: {e.Message}");
        }

        try
        {
            _ = new ServiceProxy.Dns.DnsZone(options.Dns.ClusterDomain, TimeSpan.Zero);
        }
        catch (ArgumentException e)
        {
            failures.Add($"{ClusterDomainKey}: {e.Message.Split(" (Parameter")[0]}");
        }

        if (options.Dns.Ttl is < 0 or > 3600)
        {
            failures.Add($"{DnsTtlKey}: {options.Dns.Ttl} is not within 0-3600");
        }

        if (options.Events.Ttl <= TimeSpan.Zero)
        {
            failures.Add($"Events:Ttl: {options.Events.Ttl} must be positive");
        }

        if (options.Events.MaxEvents < 1 || options.Events.QueueCapacity < 1 || options.Events.Burst < 1 || options.Events.RefillInterval <= TimeSpan.Zero)
        {
            failures.Add("Events: MaxEvents, QueueCapacity and Burst must be at least 1, RefillInterval positive");
        }

        ValidateNode(options.Node, failures);
        var election = options.LeaderElection;
        if (election.RenewDeadline <= TimeSpan.Zero || election.RetryPeriod <= TimeSpan.Zero || election.RenewDeadline >= election.LeaseDuration)
        {
            failures.Add($"{nameof(RegistryOptions.LeaderElection)}:{nameof(LeaderElectionOptions.RenewDeadline)}: must be positive and shorter than the lease duration ({election.LeaseDuration}), not {election.RenewDeadline}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateNode(NodeOptions node, List<string> failures)
    {
        const string prefix = nameof(RegistryOptions.Node) + ":";
        if (node.Name is { } nodeName)
        {
            foreach (var message in Validation.KubeNames.IsDns1123Subdomain(nodeName))
            {
                failures.Add($"{prefix}{nameof(NodeOptions.Name)}: \"{nodeName}\" {message}");
            }
        }

        foreach (var role in node.Roles)
        {
            foreach (var message in Validation.KubeNames.IsQualifiedName(Model.Node.RoleLabelPrefix + role))
            {
                failures.Add($"{prefix}{nameof(NodeOptions.Roles)}: \"{role}\" {message}");
            }
        }

        foreach (var (key, value) in new[]
        {
            (nameof(NodeOptions.LeaseRenewInterval), node.LeaseRenewInterval),
            (nameof(NodeOptions.LeaseDuration), node.LeaseDuration),
            (nameof(NodeOptions.MonitorGracePeriod), node.MonitorGracePeriod),
            (nameof(NodeOptions.MonitorPeriod), node.MonitorPeriod),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{prefix}{key}: must be positive, not {value}");
            }
        }

        if (node.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{prefix}{nameof(NodeOptions.LeaseDuration)}: must be at least 1s (leaseDurationSeconds is whole seconds)");
        }
    }
}

using Microsoft.Extensions.Options;
using ServiceProxy.Kubernetes.Allocation;
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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

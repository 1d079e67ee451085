namespace ServiceProxy.Balancing;

/// <summary>Settings shared by the balancers of every service port.</summary>
public sealed class BalancerOptions
{
    /// <summary>Most ClientIP affinity entries per service port; the least recently used is evicted. Default 65 536.</summary>
    public int MaxAffinityEntries { get; set; } = 65_536;

    /// <summary>How often expired affinity entries are swept. Default 1 minute.</summary>
    public TimeSpan AffinitySweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}

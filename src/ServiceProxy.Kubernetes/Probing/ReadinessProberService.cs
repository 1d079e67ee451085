using ServiceProxy.Kubernetes.Coordination;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>Runs a <see cref="ReadinessProber"/> while this process leads, a new one each term, so only the leader probes and writes readiness.</summary>
internal sealed class ReadinessProberService(Func<ReadinessProber> create, ILeaderElection election) : LeaderElectedService(election)
{
    protected override async Task LeadAsync(CancellationToken term)
    {
        using var prober = create();
        await prober.StartAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await LeaderElected.UntilCancelled(term).ConfigureAwait(false);
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await prober.StopAsync(stopping.Token).ConfigureAwait(false);
        }
    }
}

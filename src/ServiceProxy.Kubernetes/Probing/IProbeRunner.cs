namespace ServiceProxy.Kubernetes.Probing;

/// <summary>Runs one probe against a container; the seam between the scheduler and the network.</summary>
internal interface IProbeRunner
{
    /// <summary>
    /// Runs the probe of <paramref name="target"/>. <paramref name="cancellationToken"/> fires at the
    /// probe's timeout (a failure) or when probing stops. Never throws for what the container does.
    /// </summary>
    ValueTask<ProbeOutcome> RunAsync(ProbeTarget target, CancellationToken cancellationToken);
}

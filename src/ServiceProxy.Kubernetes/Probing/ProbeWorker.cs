namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// The readiness state of one container, counted as the kubelet's probe worker counts: the container
/// starts not ready; a result changes readiness only after <c>successThreshold</c> consecutive
/// successes or <c>failureThreshold</c> consecutive failures; an error (the probe could not run)
/// leaves everything as it was. A container the prober adopts (running since before the prober
/// started, as the kubelet finds containers after a restart) starts with the readiness its Pod
/// already had, and keeps it until the thresholds decide otherwise. Not thread-safe: the prober
/// calls it under its lock.
/// </summary>
internal sealed class ProbeWorker
{
    private ProbeResult _lastResult = ProbeResult.Failure;
    private int _resultRun;

    public ProbeWorker(PodKey pod, ProbeTarget target, DateTimeOffset firstDue, bool? adoptedReady = null)
    {
        Pod = pod;
        Target = target;
        Due = firstDue;
        Adopted = adoptedReady is not null;
        Ready = adoptedReady ?? false;
        Message = adoptedReady is null ? "waiting for the first readiness probe" : string.Empty;
    }

    /// <summary>Found running when the prober started: nothing is written for it before its first result.</summary>
    public bool Adopted { get; }

    /// <summary>Whether a probe has been counted yet.</summary>
    public bool HasResult { get; private set; }

    public PodKey Pod { get; }

    public ProbeTarget Target { get; }

    public string Container => Target.Container.Name!;

    /// <summary>When the next probe is due.</summary>
    public DateTimeOffset Due { get; set; }

    /// <summary>True once the Pod, the container or its probe is gone; a removed worker is never probed again.</summary>
    public bool Removed { get; set; }

    /// <summary>Whether the container counts as ready.</summary>
    public bool Ready { get; private set; }

    /// <summary>Why the container is not ready (the last failure or error), or empty.</summary>
    public string Message { get; private set; }

    /// <summary>Counts <paramref name="outcome"/>; true when readiness or its message changed.</summary>
    public bool Record(ProbeOutcome outcome)
    {
        HasResult = true;
        if (outcome.Verdict == ProbeResult.Error)
        {
            // The kubelet throws an errored result away; the message still says why nothing changes.
            return SetMessage(Ready ? string.Empty : outcome.Message);
        }

        if (outcome.Verdict == _lastResult)
        {
            _resultRun++;
        }
        else
        {
            _lastResult = outcome.Verdict;
            _resultRun = 1;
        }

        var probe = Target.Probe;
        var ready = Ready;
        if (outcome.Verdict == ProbeResult.Success && _resultRun >= probe.SuccessThreshold)
        {
            ready = true;
        }
        else if (outcome.Verdict == ProbeResult.Failure && _resultRun >= probe.FailureThreshold)
        {
            ready = false;
        }

        var changed = ready != Ready;
        Ready = ready;
        return SetMessage(ready ? string.Empty : outcome.Verdict == ProbeResult.Failure ? outcome.Message : Message) || changed;
    }

    private bool SetMessage(string message)
    {
        if (message == Message)
        {
            return false;
        }

        Message = message;
        return true;
    }
}

/// <summary>A Pod's namespace and name.</summary>
internal readonly record struct PodKey(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}

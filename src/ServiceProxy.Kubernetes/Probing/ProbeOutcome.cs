namespace ServiceProxy.Kubernetes.Probing;

/// <summary>What one probe found, as the kubelet's prober sorts results.</summary>
internal enum ProbeResult
{
    /// <summary>The container answered as ready (a terminated redirect counts, as the kubelet's Warning does).</summary>
    Success,

    /// <summary>The container did not answer, or answered that it is not ready.</summary>
    Failure,

    /// <summary>The probe could not run (an unknown port name, an exec probe): the previous result stands.</summary>
    Error,
}

/// <summary>A probe's result and the message the Pod's status shows for it.</summary>
internal readonly record struct ProbeOutcome(ProbeResult Verdict, string Message)
{
    public static ProbeOutcome Success(string message = "") => new(ProbeResult.Success, message);

    public static ProbeOutcome Failure(string message) => new(ProbeResult.Failure, message);

    public static ProbeOutcome Error(string message) => new(ProbeResult.Error, message);
}

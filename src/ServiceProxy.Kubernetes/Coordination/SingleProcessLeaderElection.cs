namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>One process with its own registry: it always leads, in one term that never ends.</summary>
internal sealed class SingleProcessLeaderElection(string identity) : ILeaderElection
{
    public string Identity { get; } = identity;

    public bool IsLeader => true;

    public ValueTask<CancellationToken> WaitForTermAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(CancellationToken.None);
    }
}

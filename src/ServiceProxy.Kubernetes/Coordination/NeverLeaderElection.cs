namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>A process that runs no controllers (<see cref="Registry.RegistryOptions.RunControllers"/> false): it never leads.</summary>
internal sealed class NeverLeaderElection(string identity) : ILeaderElection
{
    public string Identity { get; } = identity;

    public bool IsLeader => false;

    public async ValueTask<CancellationToken> WaitForTermAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        return CancellationToken.None;
    }
}

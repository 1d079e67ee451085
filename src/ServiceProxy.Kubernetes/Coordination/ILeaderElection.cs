namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>
/// Who runs the controllers: one process at a time among those sharing a registry. Controllers
/// wait for a term, work while it lasts, and stop when its token fires (leadership lost, or the
/// process stopping).
/// </summary>
public interface ILeaderElection
{
    /// <summary>This process's identity among the candidates (its node name).</summary>
    string Identity { get; }

    /// <summary>True while this process leads.</summary>
    bool IsLeader { get; }

    /// <summary>
    /// Completes when this process leads, with a token that fires when that term ends. Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    ValueTask<CancellationToken> WaitForTermAsync(CancellationToken cancellationToken);
}

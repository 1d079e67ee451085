namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>Runs work only while this process leads, once per term.</summary>
internal static class LeaderElected
{
    /// <summary>
    /// Each time <paramref name="election"/> grants a term, runs <paramref name="lead"/> with a token
    /// that fires when the term ends or <paramref name="stoppingToken"/> fires; returns when stopping.
    /// With a single process the term starts at once, so <paramref name="lead"/> begins synchronously.
    /// </summary>
    public static async Task RunAsync(ILeaderElection election, Func<CancellationToken, Task> lead, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken term;
            try
            {
                term = await election.WaitForTermAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(term, stoppingToken);
            try
            {
                await lead(both.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (both.IsCancellationRequested)
            {
                // The term ended: wait for the next one.
            }
        }
    }

    /// <summary>Completes when <paramref name="token"/> fires.</summary>
    public static Task UntilCancelled(CancellationToken token)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = token.Register(() => ended.TrySetResult());
        return ended.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}

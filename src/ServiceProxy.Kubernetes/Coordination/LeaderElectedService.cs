using Microsoft.Extensions.Hosting;

namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>
/// A hosted service whose work runs only while this process leads (<see cref="LeaderElected.RunAsync"/>).
/// Unlike a BackgroundService, the first term's start runs inside <see cref="StartAsync"/>, so with a
/// single process a controller has done its first pass when the host has started.
/// </summary>
internal abstract class LeaderElectedService(ILeaderElection election) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = LeaderElected.RunAsync(election, LeadAsync, _stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Works until <paramref name="term"/> fires (leadership lost, or the host stopping).</summary>
    protected abstract Task LeadAsync(CancellationToken term);

    /// <summary>True once the host is stopping (as opposed to leadership lost).</summary>
    protected bool Stopping => _stopping.IsCancellationRequested;
}

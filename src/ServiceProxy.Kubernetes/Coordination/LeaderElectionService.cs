using Microsoft.Extensions.Hosting;

namespace ServiceProxy.Kubernetes.Coordination;

/// <summary>Starts and stops the <see cref="ILeaderElection"/> with the host when it campaigns (etcd); stepping down at shutdown hands the lease over at once.</summary>
internal sealed class LeaderElectionService(ILeaderElection election) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        election is IHostedService campaign ? campaign.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        election is IHostedService campaign ? campaign.StopAsync(cancellationToken) : Task.CompletedTask;
}

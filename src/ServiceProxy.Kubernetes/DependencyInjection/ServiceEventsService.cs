using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Events;

namespace ServiceProxy.Kubernetes;

/// <summary>
/// <see cref="ServiceEvents"/> on the controller leader only: in a cluster every node sees every
/// Service write, and the allocation Events are recorded once, by one node, as by one controller in
/// Kubernetes. A new term starts from what the store holds then, so a change of leader repeats nothing.
/// </summary>
internal sealed class ServiceEventsService(Func<ServiceEvents> create, ILeaderElection election) : LeaderElectedService(election)
{
    protected override async Task LeadAsync(CancellationToken term)
    {
        using var events = create();
        await events.StartAsync(CancellationToken.None).ConfigureAwait(false);
        await LeaderElected.UntilCancelled(term).ConfigureAwait(false);
        await events.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }
}

using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes;

/// <summary>
/// Runs the <see cref="EndpointsController"/> while this process leads: each term it reconciles
/// every Service, then follows each write until the term ends. With a single process the term
/// starts with the host, so Endpoints have converged when the host has started. At shutdown the
/// container disposes the controller, so it keeps Endpoints current while the data plane drains.
/// </summary>
internal sealed class EndpointsControllerService(EndpointsController controller, ILeaderElection election) : LeaderElectedService(election)
{
    protected override async Task LeadAsync(CancellationToken term)
    {
        controller.Start();
        await LeaderElected.UntilCancelled(term).ConfigureAwait(false);
        if (!Stopping)
        {
            controller.Stop();
        }
    }
}

using ServiceProxy.Kubernetes.Coordination;

namespace ServiceProxy.Kubernetes.Nodes;

/// <summary>Runs the <see cref="NodeLifecycleController"/> while this process leads.</summary>
internal sealed class NodeLifecycleService(NodeLifecycleController controller, ILeaderElection election) : LeaderElectedService(election)
{
    protected override Task LeadAsync(CancellationToken term) => controller.RunAsync(term);
}

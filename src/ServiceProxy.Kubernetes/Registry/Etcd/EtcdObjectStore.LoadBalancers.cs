using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// Pending LoadBalancer Services get an address as soon as one is given back, whichever node gave it
/// back: after a Service write (or the start-up repair) that freed a pool address, this node writes
/// each pending Service again (as its owner), and the allocation in that write gives it the address, as
/// the in-memory store does (InMemoryObjectStore.LoadBalancers.cs). Two nodes doing so at once race on
/// the Service's resourceVersion: one write wins, the other is a conflict and changes nothing.
/// </summary>
internal sealed partial class EtcdObjectStore
{
    // Set by a committed Service write that freed a pool address (under the Service write lock), taken by the writer after it.
    private volatile bool _freedLoadBalancerIP;

    private async Task GiveFreedLoadBalancerIPsAsync(CancellationToken cancellationToken)
    {
        if (!_freedLoadBalancerIP)
        {
            return;
        }

        _freedLoadBalancerIP = false;
        foreach (var service in _cache.List<Service>().Items.Where(ServiceAllocator.IsPendingLoadBalancer))
        {
            try
            {
                await UpdateAsync(service, new WriteOptions { Owner = GetOwner(ObjectKinds.Of<Service>(), service.Metadata.NamespaceOrDefault, service.Metadata.Name!) }, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException)
            {
                // Changed or deleted since the list, refused, or etcd failed: its own next write allocates again.
            }
        }
    }
}

using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Pending LoadBalancer Services get an address as soon as one is given back: after a write that
/// freed one, each pending Service is written again (by its owner), and the allocation in that write
/// gives it the address, as MetalLB's controller retries the Services it could not serve.
/// </summary>
internal sealed partial class InMemoryObjectStore
{
    private long _seenLoadBalancerReleases;

    /// <summary>Outside the write lock, after a write: a no-op unless that write (or another since) gave an address back.</summary>
    private void GiveFreedLoadBalancerIPs()
    {
        List<Service> pending;
        lock (_gate)
        {
            var releases = _allocator.LoadBalancerReleases;
            if (releases == _seenLoadBalancerReleases)
            {
                return;
            }

            _seenLoadBalancerReleases = releases;
            if (_allocator.FreeLoadBalancerIPs == 0)
            {
                return;
            }

            pending = [.. List<Service>().Items.Where(ServiceAllocator.IsPendingLoadBalancer)];
        }

        foreach (var service in pending)
        {
            try
            {
                Update(service, new WriteOptions { Owner = GetOwner(ObjectKinds.Of<Service>(), service.Metadata.NamespaceOrDefault, service.Metadata.Name!) });
            }
            catch (ObjectStoreException)
            {
                // Changed or deleted since the list, or refused: its own next write allocates again.
            }
        }
    }
}

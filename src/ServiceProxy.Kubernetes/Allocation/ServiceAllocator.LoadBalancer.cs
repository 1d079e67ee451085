using System.Net;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// The load-balancer address of a LoadBalancer Service of svcproxy's class (none or
/// <see cref="LoadBalancerClasses.ServiceProxy"/>), given in the same write as its cluster IP, as
/// MetalLB's controller would give it right after: <c>spec.loadBalancerIP</c> when it is in the pool
/// and free, else the address the Service already holds, else the one its status names (a Service
/// restored from disk or exported with its status) when free, else the lowest free one. When none can
/// be given the write still succeeds and the Service is pending (<c>status.loadBalancer: {}</c>).
/// Services of another class keep the status their client writes.
/// </summary>
internal sealed partial class ServiceAllocator
{
    public LoadBalancerPool LoadBalancerPool => _loadBalancers.Pool;

    /// <summary>Addresses given back so far by committed writes and deletes (not by rolled-back ones).</summary>
    public long LoadBalancerReleases => _loadBalancers.Released;

    public int FreeLoadBalancerIPs => _loadBalancers.Free;

    /// <summary>A LoadBalancer Service whose address svcproxy gives: no class, or svcproxy's.</summary>
    public static bool IsOwnLoadBalancer(Service service) =>
        service.Spec.Type == ServiceTypes.LoadBalancer
        && (service.Spec.LoadBalancerClass is null || service.Spec.LoadBalancerClass == LoadBalancerClasses.ServiceProxy);

    /// <summary>One of svcproxy's LoadBalancer Services still without an address.</summary>
    public static bool IsPendingLoadBalancer(Service service) =>
        IsOwnLoadBalancer(service) && service.Status?.LoadBalancer?.Ingress is not { Count: > 0 };

    public bool IsLoadBalancerIPAllocated(IPAddress address) => _loadBalancers.IsAllocated(address);

    /// <summary>
    /// The status to store: always with a <c>loadBalancer</c>, its ingress the address given here for
    /// svcproxy's own LoadBalancer Services, the client's otherwise (less any address this Service held
    /// before it stopped being one of them, which is freed when the write commits).
    /// </summary>
    private ServiceStatus AllocateLoadBalancer(Service service, Service? old, AllocationTransaction transaction, bool claimOnly)
    {
        var held = old is null ? [] : HeldLoadBalancerIPs(old);
        var status = service.Status ?? new ServiceStatus();
        IPAddress? address = null;
        IReadOnlyList<LoadBalancerIngress>? ingress;
        if (IsOwnLoadBalancer(service))
        {
            address = claimOnly ? ClaimLoadBalancerIP(service, transaction) : PickLoadBalancerIP(service, held, transaction);
            ingress = address is null ? null : [new LoadBalancerIngress { Ip = address.ToString() }];
        }
        else
        {
            ingress = status.LoadBalancer?.Ingress;
            if (held.Count > 0 && ingress is not null)
            {
                var kept = ingress.Where(i => !(IPAddress.TryParse(i.Ip, out var ip) && held.Contains(ip))).ToList();
                ingress = kept.Count > 0 ? kept : null;
            }
        }

        foreach (var previous in held.Where(h => !h.Equals(address)))
        {
            transaction.ReleaseOnCommit(() => _loadBalancers.Release(previous));
        }

        return status with { LoadBalancer = (status.LoadBalancer ?? new LoadBalancerStatus()) with { Ingress = ingress } };
    }

    private IPAddress? PickLoadBalancerIP(Service service, IReadOnlyList<IPAddress> held, AllocationTransaction transaction)
    {
        if (!string.IsNullOrEmpty(service.Spec.LoadBalancerIP))
        {
            // MetalLB's rule: the address asked for, or none (pending) when it is outside the pool or taken.
            return IPAddress.TryParse(service.Spec.LoadBalancerIP, out var requested) ? Take(requested, held, transaction) : null;
        }

        if (held.Count > 0)
        {
            return held[0];
        }

        foreach (var ingress in service.Status?.LoadBalancer?.Ingress ?? [])
        {
            if (IPAddress.TryParse(ingress.Ip, out var previous) && Take(previous, held, transaction) is { } taken)
            {
                return taken;
            }
        }

        var next = _loadBalancers.AllocateNext();
        if (next is not null)
        {
            transaction.Allocated(() => _loadBalancers.Release(next, undo: true));
        }

        return next;
    }

    /// <summary>The pool address the status of a stored Service names, taken back; null (pending) when it names none that is free.</summary>
    private IPAddress? ClaimLoadBalancerIP(Service service, AllocationTransaction transaction)
    {
        foreach (var ingress in service.Status?.LoadBalancer?.Ingress ?? [])
        {
            if (IPAddress.TryParse(ingress.Ip, out var held) && Take(held, [], transaction) is { } taken)
            {
                return taken;
            }
        }

        return null;
    }

    private IPAddress? Take(IPAddress address, IReadOnlyList<IPAddress> held, AllocationTransaction transaction)
    {
        if (held.Contains(address))
        {
            return address;
        }

        if (_loadBalancers.Allocate(address) != AllocateResult.Allocated)
        {
            return null;
        }

        transaction.Allocated(() => _loadBalancers.Release(address, undo: true));
        return address;
    }

    /// <summary>The pool addresses in the status of one of svcproxy's LoadBalancer Services: the ones it was given.</summary>
    public List<IPAddress> HeldLoadBalancerIPs(Service service) =>
        IsOwnLoadBalancer(service)
            ? [.. (service.Status?.LoadBalancer?.Ingress ?? [])
                .Select(i => IPAddress.TryParse(i.Ip, out var ip) ? ip : null)
                .OfType<IPAddress>()
                .Where(ip => _loadBalancers.Pool.OffsetOf(ip) >= 0)
                .Distinct()]
            : [];
}

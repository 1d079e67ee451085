using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// Allocates a Service's cluster IPs and node ports, as kube-apiserver's service REST storage does:
/// explicit values must be in range and free, unset ones are picked, an update keeps what the
/// service already holds and frees what it no longer uses; its IP families
/// (ServiceAllocator.Families.cs, one cluster IP allocator per configured family); and its
/// load-balancer address (ServiceAllocator.LoadBalancer.cs). Runs under the registry's write lock.
/// </summary>
internal sealed partial class ServiceAllocator
{
    /// <summary>One per configured range, the primary (<c>--service-cidr</c>'s first) first; at most one per family.</summary>
    private readonly ClusterIPAllocator[] _clusterIPs;
    private readonly NodePortAllocator _nodePorts;
    private readonly LoadBalancerAllocator _loadBalancers;

    public ServiceAllocator(AllocationOptions options, Random? random = null)
    {
        random ??= Random.Shared;
        _clusterIPs = [.. ServiceCidr.ParseList(options.ServiceCidr).Select(cidr => new ClusterIPAllocator(cidr, random))];
        _nodePorts = new NodePortAllocator(PortRange.Parse(options.NodePortRange), random);
        _loadBalancers = new LoadBalancerAllocator(LoadBalancerPool.Parse(options.LoadBalancerPool));
    }

    /// <summary>The primary range: Services that name no family get a cluster IP from it.</summary>
    public ServiceCidr Cidr => _clusterIPs[0].Cidr;

    /// <summary>Every configured range, the primary first.</summary>
    public IReadOnlyList<ServiceCidr> Cidrs => [.. _clusterIPs.Select(a => a.Cidr)];

    public PortRange NodePortRange => _nodePorts.Range;

    public static bool NeedsClusterIP(Service service) => service.Spec.Type != ServiceTypes.ExternalName;

    public static bool NeedsNodePorts(Service service) =>
        service.Spec.Type is ServiceTypes.NodePort or ServiceTypes.LoadBalancer;

    /// <summary>Kubernetes' <c>NeedsHealthCheck</c>: a LoadBalancer Service with externalTrafficPolicy Local.</summary>
    public static bool NeedsHealthCheck(ServiceSpec spec) =>
        spec.Type == ServiceTypes.LoadBalancer && spec.ExternalTrafficPolicy == "Local";

    public bool IsClusterIPAllocated(IPAddress address) => AllocatorFor(address)?.IsAllocated(address) == true;

    public bool IsNodePortAllocated(string protocol, int port) => _nodePorts.IsAllocated(protocol, port);

    /// <summary>
    /// Before validation on update: fills in the cluster IP and node ports the client left unset from
    /// the old object, and drops those a type change made meaningless, externalTrafficPolicy included (Kubernetes'
    /// <c>patchAllocatedValues</c> and <c>dropTypeDependentFields</c>).
    /// </summary>
    public static Service CarryOver(Service service, Service old)
    {
        var spec = service.Spec;
        if (NeedsClusterIP(old) && NeedsClusterIP(service))
        {
            if (string.IsNullOrEmpty(spec.ClusterIP))
            {
                spec = spec with { ClusterIP = old.Spec.ClusterIP };
            }

            if (spec.ClusterIPs is not { Count: > 0 } && old.Spec.ClusterIPs is { Count: > 0 })
            {
                spec = spec with { ClusterIPs = old.Spec.ClusterIPs };
            }
        }
        else if (!NeedsClusterIP(service) && NeedsClusterIP(old))
        {
            // Fields the allocation filled in, sent back unchanged by a read-modify-write client.
            if (spec.ClusterIP == old.Spec.ClusterIP)
            {
                spec = spec with { ClusterIP = null, ClusterIPs = null };
            }

            if (spec.IpFamilies is not null && old.Spec.IpFamilies is not null && spec.IpFamilies.SequenceEqual(old.Spec.IpFamilies))
            {
                spec = spec with { IpFamilies = null };
            }

            if (spec.IpFamilyPolicy is not null && spec.IpFamilyPolicy == old.Spec.IpFamilyPolicy)
            {
                spec = spec with { IpFamilyPolicy = null };
            }
        }

        if (NeedsNodePorts(old) && !NeedsNodePorts(service) && spec.ExternalTrafficPolicy == old.Spec.ExternalTrafficPolicy)
        {
            spec = spec with { ExternalTrafficPolicy = null };
        }

        // Kubernetes' patchAllocatedValues and dropTypeDependentFields for the health-check port.
        if (NeedsHealthCheck(old.Spec) && NeedsHealthCheck(spec) && spec.HealthCheckNodePort == 0)
        {
            spec = spec with { HealthCheckNodePort = old.Spec.HealthCheckNodePort };
        }
        else if (NeedsHealthCheck(old.Spec) && !NeedsHealthCheck(spec) && spec.HealthCheckNodePort == old.Spec.HealthCheckNodePort)
        {
            spec = spec with { HealthCheckNodePort = 0 };
        }

        if (old.Spec.Type == ServiceTypes.LoadBalancer && spec.Type != ServiceTypes.LoadBalancer && spec.LoadBalancerClass == old.Spec.LoadBalancerClass)
        {
            spec = spec with { LoadBalancerClass = null };
        }

        var ports = spec.Ports;
        var oldPorts = old.Spec.Ports ?? [];
        if (ports is not null && NeedsNodePorts(old))
        {
            if (NeedsNodePorts(service))
            {
                var used = ports.Where(p => p.NodePort != 0).Select(p => p.NodePort).ToHashSet();
                ports = [.. ports.Select(p => p.NodePort != 0 ? p : p with { NodePort = OldNodePort(p, oldPorts, used) })];
            }
            else
            {
                var oldNodePorts = oldPorts.Select(p => p.NodePort).ToHashSet();
                ports = [.. ports.Select(p => oldNodePorts.Contains(p.NodePort) ? p with { NodePort = 0 } : p)];
            }

            spec = spec with { Ports = ports };
        }

        return ReferenceEquals(spec, service.Spec) ? service : service with { Spec = spec };
    }

    /// <summary>
    /// Allocates what <paramref name="service"/> needs beyond what <paramref name="old"/> holds.
    /// On errors nothing stays allocated; otherwise the caller commits or rolls back the transaction.
    /// </summary>
    public (Service Service, IReadOnlyList<FieldError> Errors, AllocationTransaction Transaction) Allocate(Service service, Service? old) =>
        Allocate(service, old, claimOnly: false);

    /// <summary>
    /// Takes back what a stored <paramref name="service"/> holds (its cluster IPs, node ports and the
    /// load-balancer address its status names) and nothing more: a pending LoadBalancer Service stays
    /// pending, so rebuilding the allocations from the stored Services gives out no address.
    /// </summary>
    public (Service Service, IReadOnlyList<FieldError> Errors, AllocationTransaction Transaction) Claim(Service service) =>
        Allocate(service, null, claimOnly: true);

    private (Service Service, IReadOnlyList<FieldError> Errors, AllocationTransaction Transaction) Allocate(Service service, Service? old, bool claimOnly)
    {
        var transaction = new AllocationTransaction();
        var errors = new List<FieldError>();
        var spec = AllocateClusterIPs(service.Spec, old, transaction, errors);
        spec = AllocateNodePorts(spec, service, old, transaction, errors);
        if (errors.Count > 0)
        {
            transaction.Rollback();
            return (service, errors, AllocationTransaction.Empty);
        }

        service = service with { Spec = spec };
        return (service with { Status = AllocateLoadBalancer(service, old, transaction, claimOnly) }, errors, transaction);
    }

    /// <summary>Frees everything a deleted service held.</summary>
    public void Release(Service service)
    {
        foreach (var address in HeldClusterIPs(service))
        {
            AllocatorFor(address)?.Release(address);
        }

        foreach (var (protocol, port) in HeldNodePorts(service))
        {
            _nodePorts.Release(protocol, port);
        }

        foreach (var ingress in HeldLoadBalancerIPs(service))
        {
            _loadBalancers.Release(ingress);
        }
    }

    private static int OldNodePort(ServicePort port, IReadOnlyList<ServicePort> oldPorts, HashSet<int> used)
    {
        // Kubernetes matches by port name; an unnamed or renamed port falls back to number and protocol.
        var match = oldPorts.FirstOrDefault(o => (o.Name ?? string.Empty) == (port.Name ?? string.Empty))
            ?? oldPorts.FirstOrDefault(o => o.Port == port.Port && Protocol(o) == Protocol(port));
        if (match is null || match.NodePort == 0 || used.Contains(match.NodePort))
        {
            return 0;
        }

        used.Add(match.NodePort);
        return match.NodePort;
    }

    private ServiceSpec AllocateNodePorts(ServiceSpec spec, Service service, Service? old, AllocationTransaction transaction, List<FieldError> errors)
    {
        var held = old is null ? [] : HeldNodePorts(old).ToHashSet();
        var ports = spec.Ports?.ToArray() ?? [];
        var wanted = new HashSet<(string, int)>();
        if (!NeedsNodePorts(service))
        {
            // Kubernetes' validation says the same; it needs the carry-over above, hence here.
            for (var i = 0; i < ports.Length; i++)
            {
                if (ports[i].NodePort != 0)
                {
                    errors.Add(new FieldError($"spec.ports[{i}].nodePort", FieldErrorType.Forbidden, $"may not be used when `type` is '{service.Spec.Type ?? ServiceTypes.ClusterIP}'"));
                }
            }
        }
        else
        {
            // Explicit ports first, so a random pick cannot take a number a later port asks for.
            for (var i = 0; i < ports.Length; i++)
            {
                var port = ports[i];
                if (port.NodePort == 0)
                {
                    continue;
                }

                var key = (Protocol(port), port.NodePort);
                if (held.Contains(key) && !wanted.Contains(key))
                {
                    wanted.Add(key);
                    continue;
                }

                var result = _nodePorts.Allocate(key.Item1, port.NodePort);
                if (result != AllocateResult.Allocated)
                {
                    var reason = result == AllocateResult.NotInRange
                        ? $"provided port is not in the valid range. The range of valid ports is {_nodePorts.Range}"
                        : "provided port is already allocated";
                    errors.Add(new FieldError($"spec.ports[{i}].nodePort", FieldErrorType.Invalid, reason, port.NodePort));
                    continue;
                }

                wanted.Add(key);
                transaction.Allocated(() => _nodePorts.Release(key.Item1, key.NodePort));
            }

            // The health-check port asked for is explicit too.
            if (errors.Count == 0 && NeedsHealthCheck(spec) && spec.HealthCheckNodePort != 0)
            {
                spec = AllocateHealthCheckNodePort(spec, held, wanted, transaction, errors);
            }

            for (var i = 0; i < ports.Length && errors.Count == 0; i++)
            {
                if (ports[i].NodePort != 0)
                {
                    continue;
                }

                var protocol = Protocol(ports[i]);
                var nodePort = SiblingNodePort(ports, i, protocol);
                if (nodePort == 0)
                {
                    nodePort = _nodePorts.AllocateNext(protocol);
                    if (nodePort == 0)
                    {
                        errors.Add(new FieldError($"spec.ports[{i}].nodePort", FieldErrorType.Forbidden, "failed to allocate a nodePort: range is full"));
                        break;
                    }
                }

                var taken = nodePort;
                wanted.Add((protocol, taken));
                transaction.Allocated(() => _nodePorts.Release(protocol, taken));
                ports[i] = ports[i] with { NodePort = taken };
            }
        }

        if (errors.Count == 0 && NeedsHealthCheck(spec) && !wanted.Contains((Protocols.Tcp, spec.HealthCheckNodePort)))
        {
            spec = AllocateHealthCheckNodePort(spec, held, wanted, transaction, errors);
        }

        foreach (var (protocol, port) in held)
        {
            if (!wanted.Contains((protocol, port)))
            {
                transaction.ReleaseOnCommit(() => _nodePorts.Release(protocol, port));
            }
        }

        return spec.Ports is null ? spec : spec with { Ports = ports };
    }

    /// <summary>The health-check node port: the one asked for (in range and free, or already held), or the next free one; TCP, from the node-port range.</summary>
    private ServiceSpec AllocateHealthCheckNodePort(
        ServiceSpec spec, HashSet<(string, int)> held, HashSet<(string, int)> wanted, AllocationTransaction transaction, List<FieldError> errors)
    {
        var port = spec.HealthCheckNodePort;
        if (port != 0)
        {
            var key = (Protocols.Tcp, port);
            if (held.Contains(key) && !wanted.Contains(key))
            {
                wanted.Add(key);
                return spec;
            }

            var result = _nodePorts.Allocate(Protocols.Tcp, port);
            if (result != AllocateResult.Allocated)
            {
                var reason = result == AllocateResult.NotInRange
                    ? $"provided port is not in the valid range. The range of valid ports is {_nodePorts.Range}"
                    : "provided port is already allocated";
                errors.Add(new FieldError("spec.healthCheckNodePort", FieldErrorType.Invalid, reason, port));
                return spec;
            }
        }
        else
        {
            port = _nodePorts.AllocateNext(Protocols.Tcp);
            if (port == 0)
            {
                errors.Add(new FieldError("spec.healthCheckNodePort", FieldErrorType.Forbidden, "failed to allocate a nodePort: range is full"));
                return spec;
            }
        }

        var taken = port;
        wanted.Add((Protocols.Tcp, taken));
        transaction.Allocated(() => _nodePorts.Release(Protocols.Tcp, taken));
        return spec with { HealthCheckNodePort = taken };
    }

    /// <summary>
    /// A port serving the same number over another protocol gets the same node port when it is free
    /// (what Kubernetes does for DNS-style TCP+UDP services); 0 when there is none.
    /// </summary>
    private int SiblingNodePort(ServicePort[] ports, int index, string protocol)
    {
        foreach (var sibling in ports)
        {
            if (sibling.Port == ports[index].Port && sibling.NodePort != 0 && Protocol(sibling) != protocol
                && _nodePorts.Allocate(protocol, sibling.NodePort) == AllocateResult.Allocated)
            {
                return sibling.NodePort;
            }
        }

        return 0;
    }

    /// <summary>The cluster IP the service holds, if it holds one.</summary>
    public static IPAddress? HeldClusterIP(Service service) =>
        NeedsClusterIP(service) && IPAddress.TryParse(service.Spec.ClusterIP, out var address) ? address : null;

    /// <summary>The node ports the service holds, per protocol.</summary>
    public static IEnumerable<(string Protocol, int NodePort)> HeldNodePorts(Service service) =>
        NeedsNodePorts(service)
            ? (service.Spec.Ports ?? []).Where(p => p.NodePort != 0).Select(p => (Protocol(p), p.NodePort))
                .Concat(NeedsHealthCheck(service.Spec) && service.Spec.HealthCheckNodePort != 0 ? [(Protocols.Tcp, service.Spec.HealthCheckNodePort)] : [])
                .Distinct()
            : [];

    private static string Protocol(ServicePort port) => string.IsNullOrEmpty(port.Protocol) ? Protocols.Tcp : port.Protocol;
}

using k8s.Models;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Following;

/// <summary>
/// Turns the discovery.k8s.io/v1 EndpointSlices of one Service (label <c>kubernetes.io/service-name</c>)
/// into the v1 Endpoints the registry's data-plane path reads: one subset per distinct port list,
/// ready endpoints (<c>conditions.ready</c> true or unset) as <c>addresses</c>, the rest (not ready,
/// terminating) as <c>notReadyAddresses</c>, each with its hostname, nodeName and targetRef. The
/// not-ready ones that still serve while terminating are listed in the <see cref="ServingTerminating"/>
/// annotation, read as kube-proxy reads the conditions (serving unset: serving; terminating unset:
/// not terminating). An address in several slices with the same ports appears once, ready if any
/// slice says so. FQDN slices carry no address to proxy to and are left out. The result is sorted,
/// so equal slices give equal Endpoints.
/// </summary>
internal static class EndpointSliceMerge
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>The Service an EndpointSlice belongs to (namespace, name), or null when it has no service-name label.</summary>
    public static (string Namespace, string Name)? ServiceOf(V1EndpointSlice slice) =>
        slice.Metadata?.Labels is { } labels && labels.TryGetValue(ServiceNameLabel, out var name) && !string.IsNullOrEmpty(name)
            ? (string.IsNullOrEmpty(slice.Metadata.NamespaceProperty) ? ObjectMeta.DefaultNamespace : slice.Metadata.NamespaceProperty, name)
            : null;

    public static Endpoints Merge(string @namespace, string serviceName, IEnumerable<V1EndpointSlice> slices)
    {
        // Port list signature → (IP → address, ready).
        var subsets = new SortedDictionary<string, (List<EndpointPort> Ports, SortedDictionary<string, Member> Members)>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            if (slice.AddressType is not ("IPv4" or "IPv6"))
            {
                continue;
            }

            var ports = (slice.Ports ?? [])
                .Select(p => new EndpointPort { Name = string.IsNullOrEmpty(p.Name) ? null : p.Name, Port = p.Port ?? 0, Protocol = p.Protocol ?? Protocols.Tcp, AppProtocol = p.AppProtocol })
                .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Protocol, StringComparer.Ordinal).ThenBy(p => p.Port)
                .ToList();
            var signature = string.Join(";", ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}/{p.AppProtocol}"));
            if (!subsets.TryGetValue(signature, out var subset))
            {
                subset = (ports, new SortedDictionary<string, Member>(StringComparer.Ordinal));
                subsets[signature] = subset;
            }

            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // Consumers use the first address; the others are the same endpoint's (EndpointSlice API).
                if (endpoint.Addresses is not { Count: > 0 } addresses || string.IsNullOrEmpty(addresses[0]))
                {
                    continue;
                }

                var ready = endpoint.Conditions?.Ready ?? true;
                var servingTerminating = !ready && (endpoint.Conditions?.Serving ?? true) && endpoint.Conditions?.Terminating == true;
                if (subset.Members.TryGetValue(addresses[0], out var known) && (known.Ready || (known.ServingTerminating && !ready)))
                {
                    continue;
                }

                subset.Members[addresses[0]] = new Member(Address(addresses[0], endpoint), ready, servingTerminating);
            }
        }

        var servingTerminatingAddresses = ServingTerminating.Format(
            subsets.Values.SelectMany(s => s.Members.Values).Where(m => m.ServingTerminating).Select(m => m.Address.Ip!));
        return new Endpoints
        {
            Metadata = new ObjectMeta
            {
                Name = serviceName,
                Namespace = @namespace,
                Annotations = servingTerminatingAddresses is null ? null : new Dictionary<string, string> { [ServingTerminating.Annotation] = servingTerminatingAddresses },
            },
            Subsets = [.. subsets.Values
                .Where(s => s.Members.Count > 0)
                .Select(s => new EndpointSubset
                {
                    Addresses = NullIfEmpty([.. s.Members.Values.Where(m => m.Ready).Select(m => m.Address)]),
                    NotReadyAddresses = NullIfEmpty([.. s.Members.Values.Where(m => !m.Ready).Select(m => m.Address)]),
                    Ports = s.Ports.Count == 0 ? null : s.Ports,
                })],
        };
    }

    private static EndpointAddress Address(string ip, V1Endpoint endpoint) => new()
    {
        Ip = ip,
        Hostname = endpoint.Hostname,
        NodeName = endpoint.NodeName,
        TargetRef = endpoint.TargetRef is { } target
            ? new ObjectReference
            {
                Kind = target.Kind,
                Namespace = target.NamespaceProperty,
                Name = target.Name,
                Uid = target.Uid,
                ResourceVersion = target.ResourceVersion,
                ApiVersion = target.ApiVersion,
                FieldPath = target.FieldPath,
            }
            : null,
    };

    private static List<EndpointAddress>? NullIfEmpty(List<EndpointAddress> addresses) => addresses.Count == 0 ? null : addresses;

    private readonly record struct Member(EndpointAddress Address, bool Ready, bool ServingTerminating);
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>One derived discovery.k8s.io/v1 EndpointSlice: its metadata (for selectors) and its JSON.</summary>
internal sealed record EndpointSlice(ObjectMeta Metadata, JsonObject Json, IReadOnlyList<string> Addresses, IReadOnlyList<int> Ports);

/// <summary>
/// EndpointSlices as the endpointslice controller would write them, derived from an Endpoints
/// object: one slice per subset and address family, labelled with <c>kubernetes.io/service-name</c>.
/// Names are stable for a given Endpoints uid and subset index, so a watch can tell ADDED from MODIFIED.
/// </summary>
internal static class EndpointSlices
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    private const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";

    // The alphabet of Kubernetes' generated name suffixes (utilrand.String): no vowels, no look-alikes.
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static IReadOnlyList<EndpointSlice> From(Endpoints endpoints, Service? service)
    {
        var subsets = endpoints.Subsets is { Count: > 0 } s ? s : [new EndpointSubset()];
        var servingTerminating = ServingTerminating.Of(endpoints);
        var slices = new List<EndpointSlice>();
        for (var i = 0; i < subsets.Count; i++)
        {
            var subset = subsets[i];
            var all = (subset.Addresses ?? []).Select(a => (Address: a, Ready: true))
                .Concat((subset.NotReadyAddresses ?? []).Select(a => (Address: a, Ready: false)))
                .ToList();
            var families = all.Count == 0 ? ["IPv4"] : all.Select(a => FamilyOf(a.Address.Ip)).Distinct().ToList();
            foreach (var family in families)
            {
                slices.Add(Slice(endpoints, service, i, family, [.. all.Where(a => FamilyOf(a.Address.Ip) == family)], subset.Ports ?? [], servingTerminating));
            }
        }

        return slices;
    }

    /// <summary>
    /// Every slice <paramref name="endpoints"/> could have had with up to <paramref name="subsets"/>
    /// subsets, one per subset and address family, with no endpoints: what a resumed watch, which
    /// does not know the slices its client was sent, may report DELETED when they are gone now.
    /// </summary>
    public static IEnumerable<EndpointSlice> Possible(Endpoints endpoints, Service? service, int subsets)
    {
        for (var i = 0; i < subsets; i++)
        {
            foreach (var family in (string[])["IPv4", "IPv6"])
            {
                yield return Slice(endpoints, service, i, family, [], [], ServingTerminating.Of(null));
            }
        }
    }

    /// <summary>Every slice of one namespace (null: all), and the store's resourceVersion they were read at.</summary>
    public static (IReadOnlyList<EndpointSlice> Slices, long ResourceVersion) List(IObjectStore store, string? @namespace)
    {
        var endpoints = store.List<Endpoints>(@namespace);
        var slices = endpoints.Items
            .SelectMany(e => From(e, store.Get<Service>(e.Metadata.NamespaceOrDefault, e.Metadata.Name ?? string.Empty)))
            .ToList();
        return (slices, endpoints.ResourceVersion);
    }

    private static EndpointSlice Slice(
        Endpoints endpoints, Service? service, int index, string family, List<(EndpointAddress Address, bool Ready)> members, IReadOnlyList<EndpointPort> ports, IReadOnlySet<string> servingTerminating)
    {
        var name = endpoints.Metadata.Name ?? string.Empty;
        var labels = new Dictionary<string, string>(endpoints.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [ServiceNameLabel] = name,
            [ManagedByLabel] = service?.Spec.Selector is { Count: > 0 } ? "endpointslice-controller.k8s.io" : "endpointslicemirroring-controller.k8s.io",
        };
        var identity = $"{endpoints.Metadata.Uid ?? endpoints.Key}/{index}/{family}";
        var metadata = new ObjectMeta
        {
            Name = $"{name}-{Suffix(identity)}",
            GenerateName = name + "-",
            Namespace = endpoints.Metadata.NamespaceOrDefault,
            Labels = labels,
            Uid = DerivedUid(identity),
            ResourceVersion = endpoints.Metadata.ResourceVersion,
            Generation = 1,
            CreationTimestamp = endpoints.Metadata.CreationTimestamp,
        };

        var json = new JsonObject
        {
            ["kind"] = "EndpointSlice",
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["metadata"] = JsonSerializer.SerializeToNode(metadata, KubeJson.Options),
            ["addressType"] = family,
            ["endpoints"] = members.Count == 0 ? null : new JsonArray([.. members.Select(m => (JsonNode)Endpoint(m.Address, m.Ready, servingTerminating))]),
            ["ports"] = ports.Count == 0 ? null : new JsonArray([.. ports.Select(p => (JsonNode)Port(p))]),
        };
        if (service?.Metadata.Uid is { } serviceUid)
        {
            json["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Service",
                ["name"] = name,
                ["uid"] = serviceUid,
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            });
        }

        return new EndpointSlice(metadata, json, [.. members.Select(m => m.Address.Ip ?? string.Empty)], [.. ports.Select(p => p.Port)]);
    }

    /// <summary>One endpoint; a not-ready address the <see cref="ServingTerminating"/> annotation lists is serving and terminating.</summary>
    private static JsonObject Endpoint(EndpointAddress address, bool ready, IReadOnlySet<string> servingTerminating)
    {
        var terminating = !ready && ServingTerminating.Contains(servingTerminating, address.Ip);
        var endpoint = new JsonObject
        {
            ["addresses"] = new JsonArray(address.Ip),
            ["conditions"] = new JsonObject { ["ready"] = ready, ["serving"] = ready || terminating, ["terminating"] = terminating },
        };
        if (address.Hostname is { } hostname)
        {
            endpoint["hostname"] = hostname;
        }

        if (address.TargetRef is { } target)
        {
            endpoint["targetRef"] = JsonSerializer.SerializeToNode(target, KubeJson.Options);
        }

        if (address.NodeName is { } node)
        {
            endpoint["nodeName"] = node;
        }

        return endpoint;
    }

    private static JsonObject Port(EndpointPort port)
    {
        var json = new JsonObject { ["name"] = port.Name ?? string.Empty, ["protocol"] = port.Protocol ?? Protocols.Tcp, ["port"] = port.Port };
        if (port.AppProtocol is { } appProtocol)
        {
            json["appProtocol"] = appProtocol;
        }

        return json;
    }

    private static string FamilyOf(string? ip) =>
        IPAddress.TryParse(ip, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static string Suffix(string identity)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(identity));
        return string.Concat(hash.Take(5).Select(b => SuffixAlphabet[b % SuffixAlphabet.Length]));
    }

    private static string DerivedUid(string identity)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("endpointslice/" + identity));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    /// <summary>kubectl's PORTS and ENDPOINTS cells: at most three, then "+ N more...", or &lt;unset&gt;.</summary>
    public static string Cell<T>(IReadOnlyList<T> values)
    {
        if (values.Count == 0)
        {
            return "<unset>";
        }

        var shown = string.Join(",", values.Take(3).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
        return values.Count > 3 ? string.Create(CultureInfo.InvariantCulture, $"{shown} + {values.Count - 3} more...") : shown;
    }
}

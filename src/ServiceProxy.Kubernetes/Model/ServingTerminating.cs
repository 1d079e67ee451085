using System.Net;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// Which not-ready addresses of an Endpoints still serve while their Pod terminates: the
/// EndpointSlice conditions <c>serving: true, terminating: true</c>. kube-proxy sends a Service's
/// traffic to those when the Service (or, under a Local traffic policy, the node) has no ready
/// endpoint left (KEP-1669), so a rolling update does not drop the connections that arrive before
/// the new Pods are ready. v1 Endpoints has no field for it; the list travels in the annotation
/// <see cref="Annotation"/> (comma-separated IPs), written when EndpointSlices are merged into
/// Endpoints and read back when Endpoints are shown as EndpointSlices.
/// </summary>
public static class ServingTerminating
{
    /// <summary>The Endpoints annotation that lists the serving, terminating addresses.</summary>
    public const string Annotation = "serviceproxy.io/serving-terminating";

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();

    /// <summary>The serving, terminating addresses of <paramref name="endpoints"/>, in canonical form; empty when none.</summary>
    public static IReadOnlySet<string> Of(Endpoints? endpoints)
    {
        if (endpoints?.Metadata.Annotations?.TryGetValue(Annotation, out var text) != true || string.IsNullOrWhiteSpace(text))
        {
            return EmptySet;
        }

        var addresses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPAddress.TryParse(part, out var address))
            {
                addresses.Add(address.ToString());
            }
        }

        return addresses;
    }

    /// <summary>Whether <paramref name="ip"/> is in <paramref name="addresses"/> (from <see cref="Of"/>), whatever its spelling.</summary>
    public static bool Contains(IReadOnlySet<string> addresses, string? ip) =>
        addresses.Count > 0 && IPAddress.TryParse(ip, out var address) && addresses.Contains(address.ToString());

    /// <summary>The annotation's value for <paramref name="addresses"/>: sorted and comma-separated, null when there are none.</summary>
    public static string? Format(IEnumerable<string> addresses)
    {
        var sorted = addresses.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? null : string.Join(",", sorted);
    }
}

using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// kube-proxy's <c>--cluster-cidr</c>: the Pods' address ranges. A Service with
/// <c>externalTrafficPolicy: Local</c> sends clients from these ranges, and from the node's own
/// addresses, to every endpoint when they reach its node ports, external IPs or load-balancer IPs,
/// as kube-proxy's rules jump to the cluster chain for Pod traffic and for <c>--src-type LOCAL</c>:
/// a Pod on a node without a local endpoint still reaches the Service through its external address.
/// </summary>
internal static class ClusterCidrs
{
    /// <summary>The ranges of a comma-separated list ("" or null: none); <see cref="FormatException"/> naming a bad one.</summary>
    public static ImmutableArray<IPNetwork> Parse(string? text)
    {
        var ranges = ImmutableArray.CreateBuilder<IPNetwork>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // Host bits are cleared, as kube-proxy's parser clears them.
            if (!SourceRanges.TryParse(part, out var range))
            {
                throw new FormatException($"\"{part}\" is not a CIDR (e.g. 10.244.0.0/16)");
            }

            ranges.Add(range);
        }

        return ranges.DrainToImmutable();
    }

    /// <summary>The clients a Local external policy sends to every endpoint: <paramref name="ranges"/> and each node address.</summary>
    public static ImmutableArray<IPNetwork> InClusterSources(ImmutableArray<IPNetwork> ranges, IReadOnlyList<IPAddress> nodeAddresses) =>
    [
        .. ranges,
        .. nodeAddresses.Select(a => new IPNetwork(a, a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)),
    ];
}

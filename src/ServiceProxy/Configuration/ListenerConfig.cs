using System.Collections.Immutable;
using System.Net;

namespace ServiceProxy.Configuration;

/// <summary>
/// Settings for some of a service port's listen addresses: which endpoints their clients reach
/// and which client addresses they accept. A listen address in no group of
/// <see cref="ServicePortConfig.Listeners"/> sends to the port's <see cref="ServicePortConfig.Endpoints"/>
/// and accepts every client.
/// </summary>
public sealed record ListenerConfig
{
    /// <summary>The listen addresses these settings cover; each is also in <see cref="ServicePortConfig.ListenEndPoints"/>.</summary>
    public ImmutableArray<IPEndPoint> ListenEndPoints { get; init; } = [];

    /// <summary>
    /// The endpoints these listeners send to, in a stable order; may be empty, and then their
    /// clients are treated as a port without endpoints treats them (TCP reset, UDP dropped and
    /// counted). Null: the port's <see cref="ServicePortConfig.Endpoints"/>.
    /// </summary>
    public ImmutableArray<IPEndPoint>? Endpoints { get; init; }

    /// <summary>
    /// The client address ranges these listeners accept; a client outside every range is reset at
    /// accept (TCP) or has its datagrams dropped and counted (UDP), before any endpoint is picked.
    /// Empty (the default): every client.
    /// </summary>
    public ImmutableArray<IPNetwork> AllowedSources { get; init; } = [];

    /// <summary>
    /// The client address ranges sent to the port's <see cref="ServicePortConfig.Endpoints"/> rather
    /// than to these listeners' own <see cref="Endpoints"/>: kube-proxy's short-circuit for a Local
    /// external traffic policy, which gives Pods (the cluster CIDR) and the node itself every endpoint
    /// instead of only the node's. Checked at accept (TCP) or when a flow opens (UDP), only when
    /// <see cref="Endpoints"/> is set. Empty (the default): none.
    /// </summary>
    public ImmutableArray<IPNetwork> ClusterSources { get; init; } = [];

    /// <summary>True when the settings that shape a listener (addresses, allowed and cluster sources, own endpoints or not) are equal.</summary>
    public bool HasSameShape(ListenerConfig other) =>
        ListenEndPoints.SequenceEqual(other.ListenEndPoints)
        && AllowedSources.SequenceEqual(other.AllowedSources)
        && ClusterSources.SequenceEqual(other.ClusterSources)
        && Endpoints.HasValue == other.Endpoints.HasValue;

    /// <summary>Equal when every setting is equal, endpoints compared in order.</summary>
    public bool Equals(ListenerConfig? other) =>
        other is not null
        && HasSameShape(other)
        && (!Endpoints.HasValue || Endpoints.Value.SequenceEqual(other.Endpoints!.Value));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(ListenEndPoints.Length, AllowedSources.Length, Endpoints?.Length ?? -1);
}

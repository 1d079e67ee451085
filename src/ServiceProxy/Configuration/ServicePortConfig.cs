using System.Collections.Immutable;
using System.Net;

namespace ServiceProxy.Configuration;

/// <summary>
/// Everything the data plane needs to serve one service port: where to listen, where to send,
/// and how to pick. Immutable; the data plane compares old and new to decide what to touch.
/// </summary>
public sealed record ServicePortConfig
{
    /// <summary>Which service port this is; two configs with the same key are the same port, updated.</summary>
    public required ServicePortKey Key { get; init; }

    /// <summary>ClusterIP:port, each node address:nodePort, each external and load-balancer IP:port.</summary>
    public ImmutableArray<IPEndPoint> ListenEndPoints { get; init; } = [];

    /// <summary>Ready backends (ip:targetPort), in a stable order.</summary>
    public ImmutableArray<IPEndPoint> Endpoints { get; init; } = [];

    /// <summary>Session affinity: <see cref="AffinityConfig.None"/> (round robin) or ClientIP.</summary>
    public AffinityConfig Affinity { get; init; } = AffinityConfig.None;

    /// <summary>UDP only: a per-service idle timeout (annotation <c>serviceproxy.io/udp-idle-timeout</c>); null: the global default.</summary>
    public TimeSpan? UdpIdleTimeout { get; init; }

    /// <summary>TCP only: send a PROXY protocol header with the client's address to the backend first.</summary>
    public ProxyProtocolVersion ProxyProtocol { get; init; }

    /// <summary>
    /// TCP only: most connections open at once on this port (annotation
    /// <c>serviceproxy.io/max-connections</c>); beyond it clients are reset at accept. Null: only
    /// the process-wide <see cref="ServiceProxyOptions.MaxConnections"/> applies.
    /// </summary>
    public int? MaxConnections { get; init; }

    /// <summary>
    /// TCP only: when failed connects take an endpoint out of rotation for a while (annotations
    /// <c>serviceproxy.io/outlier-*</c>). Default <see cref="OutlierDetectionConfig.Default"/> (on);
    /// <see cref="OutlierDetectionConfig.Disabled"/> keeps every endpoint in rotation.
    /// </summary>
    public OutlierDetectionConfig OutlierDetection { get; init; } = OutlierDetectionConfig.Default;

    /// <summary>
    /// When true, each listener sends only to the endpoints of its own address family (an
    /// IPv4-mapped IPv6 endpoint counts as IPv4), as kube-proxy's per-family proxiers do: a client
    /// of an IPv6 address reaches IPv6 endpoints, one of an IPv4 address IPv4 endpoints, and a
    /// listener whose family has no endpoints treats its clients as a port without endpoints does.
    /// When false (the default), every listener uses every endpoint, crossing families.
    /// </summary>
    public bool EndpointsByFamily { get; init; }

    /// <summary>
    /// Groups of <see cref="ListenEndPoints"/> with endpoints or allowed client addresses of their
    /// own (a node's external addresses sending only to its local endpoints, a load-balancer
    /// address accepting only some source ranges). A listen address in no group uses
    /// <see cref="Endpoints"/> and accepts every client; one in several uses the first. With
    /// <see cref="EndpointsByFamily"/>, a group's endpoints are split by family too.
    /// </summary>
    public ImmutableArray<ListenerConfig> Listeners { get; init; } = [];

    /// <summary>The group of <see cref="Listeners"/> that <paramref name="listen"/> belongs to, or null.</summary>
    public ListenerConfig? ListenerFor(IPEndPoint listen)
    {
        foreach (var listener in Listeners)
        {
            if (listener.ListenEndPoints.Contains(listen))
            {
                return listener;
            }
        }

        return null;
    }

    /// <summary>True when the listen side is equal, so listeners can be kept and only the balancer updated.</summary>
    public bool HasSameListeners(ServicePortConfig other) =>
        Key == other.Key && ListenEndPoints.SequenceEqual(other.ListenEndPoints) && EndpointsByFamily == other.EndpointsByFamily
        && Listeners.Length == other.Listeners.Length && Listeners.Zip(other.Listeners).All(p => p.First.HasSameShape(p.Second));

    /// <summary>Equal when every setting is equal, endpoints compared in order.</summary>
    public bool Equals(ServicePortConfig? other) =>
        other is not null
        && HasSameListeners(other)
        && Endpoints.SequenceEqual(other.Endpoints)
        && Listeners.SequenceEqual(other.Listeners)
        && Affinity == other.Affinity
        && UdpIdleTimeout == other.UdpIdleTimeout
        && ProxyProtocol == other.ProxyProtocol
        && MaxConnections == other.MaxConnections
        && OutlierDetection == other.OutlierDetection;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Key, ListenEndPoints.Length, Endpoints.Length, Affinity);
}

/// <summary>Session affinity of one service port: None, or ClientIP with a sliding timeout.</summary>
public sealed record AffinityConfig(bool ClientIP, TimeSpan Timeout)
{
    /// <summary>No affinity: each connection or UDP session picks the next endpoint.</summary>
    public static AffinityConfig None { get; } = new(false, TimeSpan.Zero);

    /// <summary>ClientIP affinity: a client keeps its endpoint until it has been idle <paramref name="timeoutSeconds"/>.</summary>
    public static AffinityConfig ForClientIP(int timeoutSeconds) => new(true, TimeSpan.FromSeconds(timeoutSeconds));
}

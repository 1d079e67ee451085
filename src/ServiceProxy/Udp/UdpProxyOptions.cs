namespace ServiceProxy.Udp;

/// <summary>UDP data-plane settings.</summary>
public sealed class UdpProxyOptions
{
    /// <summary>The annotation that overrides <see cref="IdleTimeout"/> per service, e.g. <c>5s</c>.</summary>
    public const string IdleTimeoutAnnotation = "serviceproxy.io/udp-idle-timeout";

    /// <summary>A session with no datagram either way for this long is closed. Default 30 s.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most sessions per service port; the least recently used is evicted. Default 65 536. Across
    /// ports, sessions are also bounded by the descriptor budget (<see cref="ServiceProxyOptions.MaxConnections"/>),
    /// which drops a new flow instead.
    /// </summary>
    public int MaxSessionsPerPort { get; set; } = 65_536;
}

using ServiceProxy.Balancing;
using ServiceProxy.Tcp;
using ServiceProxy.Udp;

namespace ServiceProxy;

/// <summary>Settings of the data plane. Every default is documented on its property.</summary>
public sealed class ServiceProxyOptions
{
    /// <summary>TCP: connect timeouts, idle and half-closed timeouts, buffers, the relay engine.</summary>
    public TcpProxyOptions Tcp { get; set; } = new();

    /// <summary>UDP: the session idle timeout and the bound on sessions per port.</summary>
    public UdpProxyOptions Udp { get; set; } = new();

    /// <summary>Endpoint selection: the bound and sweep interval of the ClientIP affinity table.</summary>
    public BalancerOptions Balancing { get; set; } = new();

    /// <summary>The Linux event loops that serve TCP (the splice engine) and UDP.</summary>
    public EventLoopOptions EventLoops { get; set; } = new();

    /// <summary>
    /// Most proxied TCP connections open at once across every port; a client beyond it is reset
    /// at accept and counted in <c>serviceproxy.tcp.connections.refused</c>. A port can have a
    /// lower limit of its own (annotation <c>serviceproxy.io/max-connections</c>). Default 0:
    /// derived on Linux from the descriptor limit (<see cref="DescriptorLimit"/>), less the
    /// descriptors open at start and a reserve for the rest of the process, at two descriptors per
    /// connection (its sockets; the splice engine's kernel pipes, held only while bytes move, draw on
    /// the same descriptors, and bytes are copied when none is left); elsewhere no limit. A larger value gives up that reserve. UDP sessions (one socket each) draw
    /// on the same descriptors, at most half of them (as many sessions as connections); a new flow
    /// beyond that is dropped and counted in <c>serviceproxy.udp.sessions.refused</c>.
    /// </summary>
    public int MaxConnections { get; set; }

    /// <summary>One structured log line per closed connection or UDP session. Default off.</summary>
    public bool AccessLog { get; set; }

    /// <summary>
    /// Networks routed to this host as local at start (<c>ip route add local CIDR dev lo</c>, through
    /// rtnetlink; needs CAP_NET_ADMIN on Linux) and unrouted on stop, so listeners can bind any of
    /// their addresses, IPv6 included, with no per-address setup. A route already there is used and
    /// left in place; one that cannot be added is logged with its command. Default none.
    /// </summary>
    public IList<string> LocalRoutes { get; set; } = [];

    /// <summary>On shutdown, how long established connections may drain before they are closed. Default 30 s.</summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When a service port is removed, how long its established connections may continue.
    /// Default <see cref="Timeout.InfiniteTimeSpan"/>: until they end by themselves.
    /// </summary>
    public TimeSpan RemovedPortDrainTimeout { get; set; } = Timeout.InfiniteTimeSpan;
}

using ServiceProxy.Balancing;
using ServiceProxy.Tcp;
using ServiceProxy.Udp;

namespace ServiceProxy;

/// <summary>Settings of the data plane. Every default is documented on its property.</summary>
public sealed class ServiceProxyOptions
{
    public TcpProxyOptions Tcp { get; set; } = new();

    public UdpProxyOptions Udp { get; set; } = new();

    public BalancerOptions Balancing { get; set; } = new();

    /// <summary>One structured log line per closed connection or UDP session. Default off.</summary>
    public bool AccessLog { get; set; }

    /// <summary>On shutdown, how long established connections may drain before they are closed. Default 30 s.</summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When a service port is removed, how long its established connections may continue.
    /// Default <see cref="Timeout.InfiniteTimeSpan"/>: until they end by themselves.
    /// </summary>
    public TimeSpan RemovedPortDrainTimeout { get; set; } = Timeout.InfiniteTimeSpan;
}

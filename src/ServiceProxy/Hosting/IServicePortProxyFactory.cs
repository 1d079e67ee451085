using ServiceProxy.Balancing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Hosting;

/// <summary>
/// Creates the data plane of one protocol. <see cref="ServiceProxyServer"/> holds one factory per
/// <see cref="TransportProtocol"/>; a port whose protocol has none is reported, not served.
/// </summary>
internal interface IServicePortProxyFactory
{
    TransportProtocol Protocol { get; }

    /// <summary>
    /// A new, not yet started proxy for <paramref name="config"/>. The server owns
    /// <paramref name="balancers"/> (they survive a listener restart and are swept by the server); the
    /// proxy applies <paramref name="config"/>'s endpoints to them, gives each listener its
    /// balancer (<see cref="PortBalancers.For"/>) and updates them in <see cref="IServicePortProxy.Update"/>.
    /// </summary>
    IServicePortProxy Create(ServicePortConfig config, PortBalancers balancers);
}

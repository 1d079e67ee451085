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
    /// <paramref name="balancer"/> (it survives a listener restart and is swept by the server); the
    /// proxy applies <paramref name="config"/>'s endpoints to it and updates it in
    /// <see cref="IServicePortProxy.Update"/>.
    /// </summary>
    IServicePortProxy Create(ServicePortConfig config, IEndpointBalancer balancer);
}

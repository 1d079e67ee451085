using Microsoft.Extensions.Logging;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>
/// Creates the proxy of each UDP service port, sharing options, metrics, logging, time, the
/// server's descriptor budget (with TCP) and its transport on the server's event loops.
/// </summary>
internal sealed class UdpServicePortProxyFactory(
    ServiceProxyOptions options, EventLoopGroup loops, ConnectionBudget budget, ServiceProxyMetrics metrics, ILoggerFactory loggerFactory, TimeProvider time)
    : IServicePortProxyFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("ServiceProxy.Udp");
    private readonly UdpTransport _transport = new(loops);

    public TransportProtocol Protocol => TransportProtocol.Udp;

    public IServicePortProxy Create(ServicePortConfig config, PortBalancers balancers) =>
        new UdpServicePortProxy(config, options, metrics, _logger, time, balancers, budget, _transport);
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;

namespace ServiceProxy.Udp;

/// <summary>Creates the proxy of each UDP service port, sharing options, metrics, logging and time.</summary>
internal sealed class UdpServicePortProxyFactory : IServicePortProxyFactory
{
    private readonly ServiceProxyOptions _options;
    private readonly ServiceProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConnectionBudget? _budget;

    /// <summary>Shares <paramref name="budget"/>, the server's descriptor budget, with TCP; without one each port makes its own.</summary>
    public UdpServicePortProxyFactory(
        ServiceProxyOptions options,
        ServiceProxyMetrics metrics,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? time = null,
        ConnectionBudget? budget = null)
    {
        _options = options;
        _metrics = metrics;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ServiceProxy.Udp");
        _time = time ?? TimeProvider.System;
        _budget = budget;
    }

    public TransportProtocol Protocol => TransportProtocol.Udp;

    public IServicePortProxy Create(ServicePortConfig config, IEndpointBalancer balancer) =>
        new UdpServicePortProxy(config, _options, _metrics, _logger, _time, balancer, _budget);

    internal UdpServicePortProxy CreateUdp(ServicePortConfig config) => new(config, _options, _metrics, _logger, _time, budget: _budget);
}

using Microsoft.Extensions.Logging;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;

namespace ServiceProxy.Tcp;

/// <summary>Creates the TCP data plane of a service port, with the relay engine chosen in <see cref="TcpProxyOptions.Engine"/>.</summary>
internal sealed class TcpServicePortProxyFactory : IServicePortProxyFactory
{
    private readonly ServiceProxyOptions _options;
    private readonly ITcpRelay _relay;
    private readonly ILogger _logger;
    private readonly ServiceProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ConnectionBudget _budget;

    public TcpServicePortProxyFactory(
        ServiceProxyOptions options, ConnectionBudget budget, ILoggerFactory loggerFactory, ServiceProxyMetrics metrics, TimeProvider time)
    {
        _options = options;
        _relay = options.Tcp.Engine switch
        {
            RelayEngine.Socket => new SocketRelay(options.Tcp),
            RelayEngine.Pipelines => new PipelinesRelay(options.Tcp),
            RelayEngine.Splice when SpliceRelay.IsSupported => new SpliceRelay(options.Tcp),
            RelayEngine.Splice => new SocketRelay(options.Tcp),
            var other => throw new ArgumentOutOfRangeException(nameof(options), other, "unknown TCP relay engine"),
        };
        if (options.Tcp.EventLoops > 0 && SpliceRelay.IsSupported)
        {
            Splice.SpliceEventLoop.RequestedCount = options.Tcp.EventLoops;
        }

        if (options.Tcp.BusyPoll > TimeSpan.Zero && SpliceRelay.IsSupported)
        {
            // The event loops serve UDP too, whatever the TCP engine.
            Splice.SpliceEventLoop.BusyPoll = options.Tcp.BusyPoll;
        }

        _logger = loggerFactory.CreateLogger("ServiceProxy.Tcp");
        _metrics = metrics;
        _time = time;
        _budget = budget;
    }

    public TransportProtocol Protocol => TransportProtocol.Tcp;

    public IServicePortProxy Create(ServicePortConfig config, IEndpointBalancer balancer) =>
        new TcpServicePortProxy(config, balancer, _options, _relay, _budget, _logger, _metrics, _time);
}

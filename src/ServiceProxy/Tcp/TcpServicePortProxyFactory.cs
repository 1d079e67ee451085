using Microsoft.Extensions.Logging;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>Creates the TCP data plane of a service port, on the transport chosen in <see cref="TcpProxyOptions.Engine"/>.</summary>
internal sealed class TcpServicePortProxyFactory : IServicePortProxyFactory
{
    private readonly ServiceProxyOptions _options;
    private readonly ITcpTransport _transport;
    private readonly ILogger _logger;
    private readonly ServiceProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ConnectionBudget _budget;

    public TcpServicePortProxyFactory(
        ServiceProxyOptions options, EventLoopGroup loops, ConnectionBudget budget, ILoggerFactory loggerFactory, ServiceProxyMetrics metrics, TimeProvider time)
    {
        _options = options;
        _logger = loggerFactory.CreateLogger("ServiceProxy.Tcp");
        _metrics = metrics;
        _time = time;
        _budget = budget;
        _transport = CreateTransport(options.Tcp, loops, _logger, time);
    }

    /// <summary>Whether <paramref name="options"/> relay TCP on the event loops (splice or io_uring, where the loops exist).</summary>
    public static bool UsesEventLoops(TcpProxyOptions options) => options.Engine is RelayEngine.Splice or RelayEngine.IoUring && EventLoopGroup.IsSupported;

    private static ITcpTransport CreateTransport(TcpProxyOptions options, EventLoopGroup loops, ILogger logger, TimeProvider time) => options.Engine switch
    {
        RelayEngine.Socket => new SocketTransport(options, loops, logger, time),
        RelayEngine.Pipelines => new PipelinesTransport(options, loops, logger, time),
        RelayEngine.Splice or RelayEngine.IoUring when UsesEventLoops(options) => new SpliceTransport(options, loops, logger, time),
        RelayEngine.Splice or RelayEngine.IoUring => new SocketTransport(options, loops, logger, time),
        var other => throw new ArgumentOutOfRangeException(nameof(options), other, "unknown TCP relay engine"),
    };

    public TransportProtocol Protocol => TransportProtocol.Tcp;

    public IServicePortProxy Create(ServicePortConfig config, PortBalancers balancers) =>
        new TcpServicePortProxy(config, balancers, _options, _transport, _budget, _logger, _metrics, _time);
}

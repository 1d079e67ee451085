using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;
using ServiceProxy.Internal.Linux;
using ServiceProxy.Tcp;
using ServiceProxy.Udp;

namespace ServiceProxy;

/// <summary>
/// The data plane: serves every service port of the <see cref="IProxyConfigProvider"/>'s current
/// snapshot and follows its changes. Like kube-proxy's proxier it diffs snapshots by
/// <see cref="ServicePortKey"/>: new ports start, removed ports stop listening (their connections
/// drain), changed endpoints or affinity only update the port's balancer, changed listen addresses
/// restart that port's listeners with the same balancer. Unchanged ports are not touched.
/// Reconciles run one at a time, triggered by the snapshot's change token. The server owns its
/// Linux event loops (<see cref="ServiceProxyOptions.EventLoops"/>): they start with the first
/// port that needs them and stop when the server is disposed.
/// </summary>
public sealed partial class ServiceProxyServer : IAsyncDisposable
{
    private static readonly TimeSpan ConfigRetryDelay = TimeSpan.FromSeconds(5);

    private readonly IProxyConfigProvider _provider;
    private readonly ServiceProxyOptions _options;
    private readonly ILogger _logger;
    private readonly ServiceProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly IServicePortObserver? _observer;
    private readonly EventLoopGroup _loops;
    private readonly Dictionary<TransportProtocol, IServicePortProxyFactory> _factories;
    // Reconcile loop only. A builder, so that publishing the ports to other threads after ports came or
    // went is ToImmutable(): O(1), sharing every node with the builder, rather than a copy of every port.
    private readonly ImmutableDictionary<ServicePortKey, PortEntry>.Builder _ports = ImmutableDictionary.CreateBuilder<ServicePortKey, PortEntry>();
    private readonly List<Task> _draining = []; // reconcile loop only
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortDrains;
    private volatile ImmutableDictionary<ServicePortKey, PortEntry> _published = ImmutableDictionary<ServicePortKey, PortEntry>.Empty; // what other threads read (status, affinity sweeps)
    private bool _portsChanged; // reconcile loop only: ports came or went since _published
    private ProxyConfig? _applied; // reconcile loop only: the snapshot _ports reflect in full, null after a failed apply
    private long _appliedVersion = -1;
    private IDisposable? _changeRegistration;
    private ITimer? _sweepTimer;
    private ITimer? _retryTimer;
    private Task _loop = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>
    /// A server that follows <paramref name="provider"/>'s snapshots once started. Nothing listens and
    /// no event loop runs until <see cref="StartAsync"/>.
    /// </summary>
    /// <param name="provider">The service ports to serve; its change token announces each new snapshot.</param>
    /// <param name="options">The data plane's settings; null takes the defaults.</param>
    /// <param name="loggerFactory">Where logs go; null discards them.</param>
    /// <param name="meterFactory">Where the <c>serviceproxy.*</c> instruments are created; null creates a meter of the server's own.</param>
    /// <param name="timeProvider">The clock for timeouts, affinity and sweeps; null is the system clock.</param>
    /// <param name="observer">Told of listen failures, ejections and returns (events for operators); null tells no one.</param>
    public ServiceProxyServer(
        IProxyConfigProvider provider,
        ServiceProxyOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null,
        IServicePortObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
        _options = options ?? new ServiceProxyOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("ServiceProxy.Server");
        _metrics = new ServiceProxyMetrics(meterFactory);
        _time = timeProvider ?? TimeProvider.System;
        _observer = observer;
        _abortDrains = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        _loops = new EventLoopGroup(_options.EventLoops, ioUring: _options.Tcp.Engine == RelayEngine.IoUring);
        _factories = CreateFactories(_options, _loops, loggerFactory, _metrics, _time).ToDictionary(f => f.Protocol);
    }

    /// <summary>Where each service port listens and what failed, for health endpoints and status commands.</summary>
    public IReadOnlyList<ServicePortStatus> GetStatus() =>
        [.. _published.Values.Select(p => p.Proxy?.Status ?? new ServicePortStatus(p.Config.Key, [], [p.Error ?? "not served"], 0))];

    /// <summary>
    /// The <see cref="ProxyConfig.Version"/> of the last snapshot applied in full (its listeners bound or
    /// their failures recorded); -1 before the first. A host waits for it to say its data plane serves a
    /// state it was given, as kube-proxy's health check waits for its first sync.
    /// </summary>
    public long AppliedVersion => Volatile.Read(ref _appliedVersion);

    /// <summary>Applies the current snapshot (listeners are bound when this returns) and starts following changes.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The server was already started.");
        }

        Log.ServerStarting(_logger);
        var sweep = _options.Balancing.AffinitySweepInterval;
        if (sweep > TimeSpan.Zero)
        {
            _sweepTimer = _time.CreateTimer(static s => ((ServiceProxyServer)s!).SweepAffinity(), this, sweep, sweep);
        }

        await ApplyCurrentAsync(cancellationToken).ConfigureAwait(false);
        _loop = ReconcileLoopAsync();
    }

    /// <summary>
    /// Stops every listener, lets established connections drain up to
    /// <see cref="ServiceProxyOptions.ShutdownDrainTimeout"/> (or until <paramref name="cancellationToken"/>
    /// fires), then closes the rest.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        Log.ServerStopping(_logger, _options.ShutdownDrainTimeout);
        _stopping.Cancel();
        await _loop.ConfigureAwait(false);
        _changeRegistration?.Dispose();
        _sweepTimer?.Dispose();
        _retryTimer?.Dispose();

        _abortDrains.CancelAfter(_options.ShutdownDrainTimeout);
        using var abortOnCancel = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abortDrains);
        var stops = _ports.Values.Where(p => p.Proxy is not null)
            .Select(p => StopPortAsync(p.Proxy!, _options.ShutdownDrainTimeout))
            .Concat(_draining)
            .ToArray();
        await Task.WhenAll(stops).ConfigureAwait(false);
        _ports.Clear();
        _draining.Clear();
        _published = ImmutableDictionary<ServicePortKey, PortEntry>.Empty;
        _portsChanged = false;
        _applied = null;
        Log.ServerStopped(_logger);
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>), then its event loops.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _loops.Dispose();
        _metrics.Dispose();
        _stopping.Dispose();
        _abortDrains.Dispose();
    }

    /// <summary>
    /// The data plane of each protocol, on the server's event loops. Both draw on one descriptor
    /// budget: a UDP flood must not take what TCP clients and the rest of the process need.
    /// </summary>
    private static IEnumerable<IServicePortProxyFactory> CreateFactories(
        ServiceProxyOptions options, EventLoopGroup loops, ILoggerFactory loggerFactory, ServiceProxyMetrics metrics, TimeProvider time)
    {
        var splice = TcpServicePortProxyFactory.UsesEventLoops(options.Tcp);
        var budget = ConnectionBudget.Create(options, splice, loops.Pipes, loggerFactory.CreateLogger("ServiceProxy.Tcp"));
        return
        [
            new TcpServicePortProxyFactory(options, loops, budget, loggerFactory, metrics, time),
            new UdpServicePortProxyFactory(options, loops, budget, metrics, loggerFactory, time),
        ];
    }

    /// <summary>The server's event loops; for tests.</summary>
    internal EventLoopGroup EventLoops => _loops;

    /// <summary>The running proxy of <paramref name="key"/>; for tests.</summary>
    internal IServicePortProxy? GetPortProxy(ServicePortKey key) =>
        _published.GetValueOrDefault(key)?.Proxy;

    private void SweepAffinity()
    {
        var removed = 0;
        foreach (var port in _published.Values)
        {
            removed += port.Balancers.SweepExpired();
        }

        if (removed > 0)
        {
            Log.AffinitySwept(_logger, removed);
        }
    }
}

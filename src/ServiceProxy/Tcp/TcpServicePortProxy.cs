using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;
using ServiceProxy.Internal;

namespace ServiceProxy.Tcp;

/// <summary>
/// Serves one TCP service port: a listener per listen address, all sharing one balancer (one per
/// address family with <see cref="ServicePortConfig.EndpointsByFamily"/>). Each
/// client the transport accepts (<see cref="ITcpTransport.Listen"/>) is balanced, dialed through the
/// transport (<see cref="ITcpTransport.ConnectAsync"/>) and relayed by it
/// (<see cref="ITcpTransport.RelayAsync"/>) on its own task. A shared timer enforces idle and
/// half-closed timeouts from each connection's last-activity stamp.
/// </summary>
internal sealed partial class TcpServicePortProxy : IServicePortProxy
{
    private static readonly TimeSpan RejectLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(10);
    private const int MaxCachedEndpoints = 4096;

    private readonly ServiceProxyOptions _options;
    private readonly TcpProxyOptions _tcp;
    private readonly PortBalancers _balancers;
    private readonly ITcpTransport _transport;
    private readonly ConnectionBudget _budget;
    private readonly TimeSpan[] _connectTimeouts;
    private readonly ILogger _logger;
    private readonly ServiceProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly LogThrottle _rejectLog;
    private readonly LogThrottle _refuseLog;
    private readonly TagList _portTags;
    private readonly ConcurrentDictionary<TcpProxyConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<IPEndPoint, StrongBox<TagList>> _endpointTags = new();
    private readonly CancellationTokenSource _abortDials = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<TcpAcceptor> _acceptors = [];
    private readonly List<string> _errors = [];
    private volatile ServicePortConfig _config;
    private volatile IReadOnlyList<IPEndPoint> _listening = [];
    private PausingSweepTimer? _sweepTimer;
    private SweepSchedule? _sweepSchedule;
    private long _active;
    private int _stopping;

    public TcpServicePortProxy(
        ServicePortConfig config, PortBalancers balancers, ServiceProxyOptions options, ITcpTransport transport, ConnectionBudget budget,
        ILogger logger, ServiceProxyMetrics metrics, TimeProvider time)
    {
        _config = config;
        _balancers = balancers;
        _options = options;
        _tcp = options.Tcp;
        _transport = transport;
        _budget = budget;
        _logger = logger;
        _metrics = metrics;
        _time = time;
        _connectTimeouts = [.. _tcp.ConnectTimeouts];
        _rejectLog = new LogThrottle(time, RejectLogInterval);
        _refuseLog = new LogThrottle(time, RejectLogInterval);
        _portTags = ServicePortTags.For(config.Key);
        _balancers.Update(config, config.OutlierDetection);
        foreach (var balancer in _balancers.All)
        {
            balancer.Outliers.Sink = new OutlierEvents(config.Key, logger, metrics);
        }
    }

    public ServicePortKey Key => _config.Key;

    public ServicePortConfig Config => _config;

    public ServicePortStatus Status
    {
        get
        {
            lock (_errors)
            {
                return new ServicePortStatus(Key, _listening, [.. _errors], Interlocked.Read(ref _active));
            }
        }
    }

    /// <summary>Open connections (dialing or relaying); for tests and diagnostics.</summary>
    internal ICollection<TcpProxyConnection> Connections => _connections.Keys;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var listening = new List<IPEndPoint>();
        foreach (var endPoint in _config.ListenEndPoints)
        {
            // The listener's balancer is fixed here, so a connection never looks up its family.
            var balancer = _balancers.For(endPoint, _config);
            balancer.Outliers.Sink ??= new OutlierEvents(Key, _logger, _metrics);
            var group = _config.ListenerFor(endPoint);
            var allowed = SourceAllowList.Create(group?.AllowedSources);
            var inCluster = group?.Endpoints is null ? null : SourceAllowList.Create(group.ClusterSources);
            var portBalancer = _balancers.ForPort(endPoint, _config);
            var acceptor = _transport.Listen(
                endPoint,
                Key,
                accepted => OnAccepted(accepted, inCluster is not null && IsAllowed(accepted.Socket, inCluster) ? portBalancer : balancer, allowed),
                OnResetForDescriptors,
                out var error);
            if (acceptor is null)
            {
                Log.TcpBindFailed(_logger, Key, endPoint, error!);
                lock (_errors)
                {
                    _errors.Add(error!);
                }

                continue;
            }

            _acceptors.Add(acceptor);
            listening.Add(acceptor.Bound);
            Log.TcpListening(_logger, Key, acceptor.Bound);
        }

        _listening = listening;
        var period = SweepPeriod(_tcp);
        if (period > TimeSpan.Zero)
        {
            _sweepSchedule = new SweepSchedule((long)(period.TotalSeconds * _time.TimestampFrequency));
            var schedule = _sweepSchedule;
            _sweepTimer = new PausingSweepTimer(_time, period, SweepTimeouts, () => !_connections.IsEmpty, schedule.Restart);
        }

        return Task.CompletedTask;
    }

    public void Update(ServicePortConfig config)
    {
        ServicePortProxyChecks.EnsureSameListeners(_config, config);
        // Balancer first: once Config shows the new set, every new connection already uses it.
        _balancers.Update(config, config.OutlierDetection);
        _config = config;
    }

    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            await _drained.Task.ConfigureAwait(false);
            return;
        }

        // Listening sockets close before the first await, so a successor can bind the same addresses at once.
        var loops = _acceptors.Select(a => a.StopAsync()).ToArray();
        _listening = [];
        await Task.WhenAll(loops).ConfigureAwait(false);
        foreach (var acceptor in _acceptors)
        {
            Log.TcpListenerStopped(_logger, Key, acceptor.Bound);
        }

        if (Interlocked.Read(ref _active) == 0)
        {
            _drained.TrySetResult();
        }

        try
        {
            await _drained.Task.WaitAsync(drainTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            AbortAll();
        }

        try
        {
            // Aborted sockets end their relays at once; the bound only guards against a stuck task.
            await _drained.Task.WaitAsync(AbortGrace, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.TcpDrainClosing(_logger, Key, _connections.Count);
        }
        finally
        {
            _sweepTimer?.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        _abortDials.Dispose();
    }

    private void AbortAll()
    {
        Log.TcpDrainClosing(_logger, Key, _connections.Count);
        _abortDials.Cancel();
        foreach (var connection in _connections.Keys)
        {
            connection.Abort(TcpCloseReason.Shutdown);
        }
    }

    private void SweepTimeouts()
    {
        var now = _time.GetTimestamp();
        if (_sweepSchedule?.Enforce(now) == false)
        {
            return;
        }

        foreach (var connection in _connections.Keys)
        {
            if (connection.Backend is null || connection.IsAborted)
            {
                continue;
            }

            // The relay's record says idle; the kernel's last receive has the last word (ReceivedWithin).
            var idle = connection.IdleFor(now);
            if (connection.IsHalfClosed && _tcp.HalfClosedTimeout > TimeSpan.Zero && idle >= _tcp.HalfClosedTimeout)
            {
                if (!connection.ReceivedWithin(_tcp.HalfClosedTimeout))
                {
                    connection.Abort(TcpCloseReason.HalfClosedTimeout);
                }
            }
            else if (_tcp.IdleTimeout > TimeSpan.Zero && idle >= _tcp.IdleTimeout && !connection.ReceivedWithin(_tcp.IdleTimeout))
            {
                connection.Abort(TcpCloseReason.IdleTimeout);
            }
        }
    }

    /// <summary>A quarter of the shortest timeout, at most one second: timeouts fire at most 25 % late (or 1 s).</summary>
    internal static TimeSpan SweepPeriod(TcpProxyOptions options)
    {
        var shortest = new[] { options.IdleTimeout, options.HalfClosedTimeout }.Where(t => t > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Min();
        if (shortest == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var period = shortest / 4;
        return period > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : period < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : period;
    }
}

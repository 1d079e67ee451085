using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;
using ServiceProxy.Internal;
using ServiceProxy.Internal.Linux;
using ServiceProxy.Tcp;

namespace ServiceProxy.Udp;

/// <summary>
/// Serves one UDP service port, like kube-proxy's userspace UDP proxy without its faults: one
/// socket per listen address, one session (own connected socket) per client (ip, port), each new
/// session balanced like a TCP connection, datagrams forwarded whole, sessions bounded and expired.
/// </summary>
internal sealed partial class UdpServicePortProxy : IServicePortProxy
{
    private static readonly TimeSpan NoEndpointsLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxSweepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinSweepInterval = TimeSpan.FromMilliseconds(10);

    private readonly ServiceProxyOptions _options;
    private readonly ServiceProxyMetrics _metrics;
    private readonly ServiceProxyMetrics.UdpPortTags _tags;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PortBalancers _balancers;
    private readonly bool _ownsBalancer;
    private readonly UdpSessionTable _table;
    private readonly ConnectionBudget _budget;
    private readonly UdpTransport _transport;
    private readonly EventLoopGroup? _ownLoops;
    private readonly LogThrottle _refuseLog;
    private readonly List<UdpListener> _listeners = [];
    private readonly List<string> _errors = [];
    private readonly Lock _lifecycle = new();
    private volatile ServicePortConfig _config;
    private ServicePortStatus _status;
    private PausingSweepTimer? _sweepTimer;
    private ITimer? _affinityTimer;
    private long _idleTimeout; // timestamp ticks
    private TimeSpan _sweepInterval;
    private int _activeSessions;
    private long _noEndpointsDropped;
    private long _nextNoEndpointsLog;
    private bool _stopped;

    public UdpServicePortProxy(
        ServicePortConfig config,
        ServiceProxyOptions options,
        ServiceProxyMetrics metrics,
        ILogger logger,
        TimeProvider? time = null,
        PortBalancers? balancers = null,
        ConnectionBudget? budget = null,
        UdpTransport? transport = null)
    {
        if (config.Key.Protocol != TransportProtocol.Udp)
        {
            throw new ArgumentException($"{config.Key} is not a UDP service port.", nameof(config));
        }

        _config = config;
        _options = options;
        _metrics = metrics;
        _tags = metrics.CreateUdpTags(config.Key);
        _logger = logger;
        _time = time ?? TimeProvider.System;
        // ServiceProxyServer passes the port's balancer (it outlives a listener restart and the
        // server sweeps it); a proxy built on its own owns one and sweeps it itself.
        _ownsBalancer = balancers is null;
        _balancers = balancers ?? new PortBalancers(options.Balancing, _time);
        _balancers.Update(config, outlierDetection: null);
        _table = new UdpSessionTable(options.Udp.MaxSessionsPerPort, IsCurrentEndpoint);
        // ServiceProxyServer passes the budget its TCP ports share; a proxy built on its own
        // honours MaxConnections alone (no derived limit: it is not the process's only user).
        _budget = budget ?? new ConnectionBudget(options.MaxConnections > 0 ? options.MaxConnections : int.MaxValue);
        // ServiceProxyServer passes its transport, on the server's event loops; a proxy built on
        // its own runs loops of its own, stopped when it is disposed, on the ring as the server's.
        if (transport is null)
        {
            _ownLoops = new EventLoopGroup(options.EventLoops, ioUring: options.Tcp.Engine == RelayEngine.IoUring);
            transport = new UdpTransport(_ownLoops);
        }

        _transport = transport;
        _refuseLog = new LogThrottle(_time, NoEndpointsLogInterval);
        ApplyIdleTimeout(config);
        _status = new ServicePortStatus(config.Key, [], [], 0);
    }

    public ServicePortKey Key => _config.Key;

    public ServicePortConfig Config => _config;

    public ServicePortStatus Status => _status with { ActiveConnections = Volatile.Read(ref _activeSessions) };

    /// <summary>Sessions in the table, including markers of unreachable endpoints.</summary>
    internal int SessionCount => _table.Count;

    internal int ActiveSessions => Volatile.Read(ref _activeSessions);

    internal IEndpointBalancer Balancer => _balancers.Primary;

    internal UdpSessionTable Sessions => _table;

    internal IReadOnlyList<UdpListener> Listeners => _listeners;

    internal UdpTransport Transport => _transport;

    internal TimeSpan IdleTimeout => _config.UdpIdleTimeout ?? _options.Udp.IdleTimeout;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_listeners.Count > 0 || _errors.Count > 0)
            {
                return Task.CompletedTask;
            }

            foreach (var endPoint in _config.ListenEndPoints)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var socket = TryBind(endPoint);
                if (socket is not null)
                {
                    // The listener's balancer is fixed here, so a new flow never looks up its family.
                    var group = _config.ListenerFor(endPoint);
                    _listeners.Add(new UdpListener(this, _listeners.Count, socket, _transport, _balancers.For(endPoint, _config), SourceAllowList.Create(group?.AllowedSources))
                    {
                        ClusterSources = group?.Endpoints is null ? null : SourceAllowList.Create(group.ClusterSources),
                        PortBalancer = _balancers.ForPort(endPoint, _config),
                    });
                }
            }

            _status = _status with { Listening = [.. _listeners.Select(l => l.LocalEndPoint)], Errors = [.. _errors] };
            // Runs only while the table holds sessions: a UDP port nobody uses costs no wake-ups.
            _sweepTimer = new PausingSweepTimer(_time, _sweepInterval, () => SweepIdle(), () => _table.Count > 0);
            if (_ownsBalancer)
            {
                var affinitySweep = _options.Balancing.AffinitySweepInterval;
                _affinityTimer = _time.CreateTimer(static s => ((UdpServicePortProxy)s!)._balancers.SweepExpired(), this, affinitySweep, affinitySweep);
            }
            foreach (var listener in _listeners)
            {
                listener.Start();
                Log.UdpListening(_logger, Key, listener.LocalEndPoint);
            }
        }

        return Task.CompletedTask;
    }

    public void Update(ServicePortConfig config)
    {
        ServicePortProxyChecks.EnsureSameListeners(_config, config);

        var removed = new List<UdpSession>();
        lock (_lifecycle)
        {
            _config = config;
            _balancers.Update(config, outlierDetection: null);

            // Sessions (and unreachable markers) of vanished endpoints go now; their clients'
            // next datagram is balanced over the new set. A session picked from the old set is in
            // the table by now (and goes here), or is refused on insert: the table checks the
            // balancer's current endpoints (IsCurrentEndpoint) under the same lock, and
            // OpenSession picks again.
            var current = config.Endpoints.ToHashSet();
            _table.RemoveWhere(s => !current.Contains(s.Endpoint), removed);
            if (ApplyIdleTimeout(config))
            {
                _sweepTimer?.ChangePeriod(_sweepInterval);
            }
        }

        foreach (var session in removed)
        {
            CloseSession(session, UdpCloseReason.EndpointRemoved);
        }
    }

    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        // UDP has nothing to drain: answers travel through the listen sockets, which close now.
        UdpListener[] listeners;
        lock (_lifecycle)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            listeners = [.. _listeners];
            _sweepTimer?.Dispose();
            _affinityTimer?.Dispose();
        }

        await Task.WhenAll(listeners.Select(l => l.StopAsync())).ConfigureAwait(false);

        var sessions = new List<UdpSession>();
        _table.RemoveWhere(static _ => true, sessions);
        foreach (var session in sessions)
        {
            CloseSession(session, UdpCloseReason.Stopped);
        }

        // Sessions read on an event loop are closed by that loop: stopped means their ports are free.
        await Task.WhenAll(sessions.Select(s => s.Closed)).ConfigureAwait(false);
        _status = _status with { Listening = [] };
        Log.UdpStopped(_logger, Key, sessions.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        _ownLoops?.Dispose();
    }

    /// <summary>Closes sessions idle for the timeout; driven by the sweep timer.</summary>
    internal int SweepIdle()
    {
        var expired = new List<UdpSession>();
        _table.RemoveIdle(_time.GetTimestamp(), Volatile.Read(ref _idleTimeout), expired);
        foreach (var session in expired)
        {
            CloseSession(session, UdpCloseReason.Idle);
        }

        return expired.Count;
    }

    private Socket? TryBind(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Room for a burst of full-size datagrams; the kernel caps it at its maximum.
            socket.ReceiveBufferSize = 1024 * 1024;
            socket.SendBufferSize = 1024 * 1024;
            if (OperatingSystem.IsWindows())
            {
                // Windows reports ICMP port unreachable from a client as a receive error; ignore it.
                const int SioUdpConnReset = -1744830452;
                socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
            }

            FreeBind.Enable(socket);
            socket.Bind(endPoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            _errors.Add($"{endPoint}: {ex.SocketErrorCode}: {ex.Message}");
            Log.UdpBindFailed(_logger, Key, endPoint, ex.SocketErrorCode, ex);
            return null;
        }
    }

    /// <returns>True when the sweep interval changed.</returns>
    private bool ApplyIdleTimeout(ServicePortConfig config)
    {
        var timeout = config.UdpIdleTimeout ?? _options.Udp.IdleTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            timeout = _options.Udp.IdleTimeout;
        }

        // Expiry is exact to within granularity + sweep interval: at most 1/8 over the timeout.
        var slack = TimeSpan.FromTicks(timeout.Ticks / 16);
        var granularity = slack < MaxSweepInterval ? slack : MaxSweepInterval;
        var sweep = granularity < MinSweepInterval ? MinSweepInterval : granularity;
        Volatile.Write(ref _idleTimeout, ToTimestampTicks(timeout));
        _table.TouchGranularity = ToTimestampTicks(granularity);
        var changed = sweep != _sweepInterval;
        _sweepInterval = sweep;
        return changed;
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private bool IsCurrentEndpoint(IPEndPoint endpoint) => _balancers.Contains(endpoint);
}

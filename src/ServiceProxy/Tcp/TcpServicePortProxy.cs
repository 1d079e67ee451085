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

namespace ServiceProxy.Tcp;

/// <summary>
/// Serves one TCP service port: a listener per listen address, all sharing one balancer. Each
/// client the transport accepts (<see cref="ITcpTransport.Listen"/>) is balanced, dialed through the
/// transport (<see cref="ITcpTransport.ConnectAsync"/>) and relayed by it
/// (<see cref="ITcpTransport.RelayAsync"/>) on its own task. A shared timer enforces idle and
/// half-closed timeouts from each connection's last-activity stamp.
/// </summary>
internal sealed class TcpServicePortProxy : IServicePortProxy
{
    private static readonly TimeSpan RejectLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(10);
    private const int MaxCachedEndpoints = 4096;

    private readonly ServiceProxyOptions _options;
    private readonly TcpProxyOptions _tcp;
    private readonly IEndpointBalancer _balancer;
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
    private ITimer? _sweepTimer;
    private long _active;
    private int _stopping;

    public TcpServicePortProxy(
        ServicePortConfig config, IEndpointBalancer balancer, ServiceProxyOptions options, ITcpTransport transport, ConnectionBudget budget,
        ILogger logger, ServiceProxyMetrics metrics, TimeProvider time)
    {
        _config = config;
        _balancer = balancer;
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
        _balancer.Update(config.Endpoints, config.Affinity);
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
            var acceptor = _transport.Listen(endPoint, Key, OnAccepted, OnResetForDescriptors, out var error);
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
            _sweepTimer = _time.CreateTimer(static s => ((TcpServicePortProxy)s!).SweepTimeouts(), this, period, period);
        }

        return Task.CompletedTask;
    }

    public void Update(ServicePortConfig config)
    {
        ServicePortProxyChecks.EnsureSameListeners(_config, config);
        // Balancer first: once Config shows the new set, every new connection already uses it.
        _balancer.Update(config.Endpoints, config.Affinity);
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

    private void OnAccepted(TransportSocket accepted)
    {
        var client = accepted.Socket;
        // Counted before checked, so concurrent accepts (several listeners, several loops) never
        // admit one too many; each refusal gives its slot back.
        var portMax = _config.MaxConnections;
        if (Interlocked.Increment(ref _active) > portMax)
        {
            Refuse(client, "port", portMax.Value);
            return;
        }

        if (!_budget.TryAcquireConnection())
        {
            Refuse(client, "process", _budget.Max);
            return;
        }

        // Runs on the accepting thread (.NET's socket thread, or an event loop) up to the dial's
        // first await (a non-blocking connect), so accepting is never held by a slow backend, and a
        // new connection costs no thread-pool hop.
        _ = HandleAsync(accepted);
    }

    private async Task HandleAsync(TransportSocket accepted)
    {
        var client = accepted.Socket;
        TcpProxyConnection? connection = null;
        try
        {
            var clientEndPoint = (IPEndPoint)client.RemoteEndPoint!;
            connection = new TcpProxyConnection(client, clientEndPoint, _time);
            _connections.TryAdd(connection, 0);
            if (Volatile.Read(ref _stopping) != 0 && _abortDials.IsCancellationRequested)
            {
                connection.Abort(TcpCloseReason.Shutdown);
                return;
            }

            ConfigureSocket(client);
            var clientIp = clientEndPoint.Address.IsIPv4MappedToIPv6 ? clientEndPoint.Address.MapToIPv4() : clientEndPoint.Address;
            TransportSocket backend = default;
            IPEndPoint? dialed = null;
            var ladder = new DialLadder(_connectTimeouts, _balancer, clientIp);
            while (dialed is null && ladder.TryNext(out var endpoint, out var timeout))
            {
                // Dialed here, not in a helper: its own async method would allocate a state machine per dial.
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    ConfigureSocket(socket); // before connect, so buffer sizes shape the window from the handshake on
                    backend = await _transport.ConnectAsync(socket, endpoint, accepted, timeout, _abortDials.Token).ConfigureAwait(false);
                    dialed = endpoint;
                }
                catch (Exception ex)
                {
                    socket.Dispose();
                    if (ex is not (SocketException or OperationCanceledException))
                    {
                        throw;
                    }

                    _abortDials.Token.ThrowIfCancellationRequested();
                    OnDialFailed(endpoint, ladder.Attempts, timeout, ex);
                    ladder.Failed(endpoint);
                }
            }

            if (dialed is null)
            {
                Reject(connection, ladder.Attempts == 0 ? "no endpoints" : $"all {ladder.Attempts} connect attempts failed");
                return;
            }

            var tags = TagsFor(dialed);
            if (!connection.AttachBackend(backend.Socket, dialed))
            {
                return;
            }

            var proxyProtocol = _config.ProxyProtocol;
            if (proxyProtocol != ProxyProtocolVersion.None)
            {
                await ProxyProtocolHeader.SendAsync(backend.Socket, proxyProtocol, clientEndPoint, (IPEndPoint)client.LocalEndPoint!, _abortDials.Token).ConfigureAwait(false);
            }

            _metrics.TcpConnectionOpened(tags.Value);
            try
            {
                await _transport.RelayAsync(connection, backend).ConfigureAwait(false);
            }
            finally
            {
                _metrics.TcpBytes(tags.Value, upstream: true, connection.BytesFromClient);
                _metrics.TcpBytes(tags.Value, upstream: false, connection.BytesToClient);
                _metrics.TcpConnectionClosed(tags.Value, connection.Duration);
            }

            if (_options.AccessLog)
            {
                Log.TcpAccess(_logger, Key, connection.ClientEndPoint, connection.Endpoint!, connection.CloseReason,
                    connection.BytesFromClient, connection.BytesToClient, (long)connection.Duration.TotalMilliseconds);
            }
        }
        catch (Exception ex)
        {
            // A dial cancelled by shutdown, a socket that died before it was ever used, or no
            // descriptor for the backend socket (a MaxConnections above what the limit fits).
            Log.TcpConnectionFailed(_logger, Key, connection?.ClientEndPoint, ex);
            if (ex is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets })
            {
                _metrics.TcpRefused(_portTags, "descriptors");
            }

            if (connection is null)
            {
                TcpProxyConnection.Reset(client);
            }
            else
            {
                connection.Abort(ex is OperationCanceledException ? TcpCloseReason.Shutdown : TcpCloseReason.Error);
            }
        }
        finally
        {
            if (connection is not null)
            {
                connection.Close();
                _connections.TryRemove(connection, out _);
            }

            _budget.ReleaseConnection();
            ReleaseSlot();
        }
    }

    private void ReleaseSlot()
    {
        if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _stopping) != 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Clients the acceptor reset because the process was out of descriptors.</summary>
    private void OnResetForDescriptors(int count) => _metrics.TcpRefused(_portTags, "descriptors", count);

    /// <summary>
    /// Resets a client at once (SO_LINGER 0, so RST): it learns now that this proxy is full and can
    /// go elsewhere, instead of waiting in the listen backlog until it times out, which is what
    /// HAProxy's maxconn (it stops accepting) does to it.
    /// </summary>
    private void Refuse(Socket client, string limit, int max)
    {
        ReleaseSlot();
        _metrics.TcpRefused(_portTags, limit);
        if (_refuseLog.TryAcquire(out var suppressed))
        {
            Log.TcpConnectionRefused(_logger, Key, client.RemoteEndPoint, limit, max, suppressed);
        }

        TcpProxyConnection.Reset(client);
    }

    private void OnDialFailed(IPEndPoint endpoint, int attempt, TimeSpan timeout, Exception error)
    {
        _metrics.TcpConnectFailed(TagsFor(endpoint).Value);
        Log.TcpConnectAttemptFailed(_logger, Key, endpoint, attempt, timeout, error is SocketException s ? s.SocketErrorCode.ToString() : "timed out");
    }

    /// <summary>
    /// Metric tags per endpoint, built once: a connection then holds one reference instead of a
    /// 144-byte <see cref="TagList"/> and allocates no endpoint string. Cleared past
    /// <see cref="MaxCachedEndpoints"/>, so endpoints that come and go keep it bounded.
    /// </summary>
    private StrongBox<TagList> TagsFor(IPEndPoint endpoint)
    {
        if (_endpointTags.TryGetValue(endpoint, out var tags))
        {
            return tags;
        }

        if (_endpointTags.Count >= MaxCachedEndpoints)
        {
            _endpointTags.Clear();
        }

        return _endpointTags.GetOrAdd(endpoint, static (e, key) => new StrongBox<TagList>(ServicePortTags.For(key, e)), Key);
    }

    private void Reject(TcpProxyConnection connection, string reason)
    {
        _metrics.TcpRejected(_portTags);
        if (_rejectLog.TryAcquire(out var suppressed))
        {
            Log.TcpConnectionRejected(_logger, Key, connection.ClientEndPoint, reason, suppressed);
        }

        connection.Abort(TcpCloseReason.Error);
    }

    private void ConfigureSocket(Socket socket)
    {
        socket.NoDelay = _tcp.NoDelay;
        if (_tcp.KeepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }

        if (_tcp.SocketSendBufferSize is { } send)
        {
            socket.SendBufferSize = send;
        }

        if (_tcp.SocketReceiveBufferSize is { } receive)
        {
            socket.ReceiveBufferSize = receive;
        }
    }

    private void SweepTimeouts()
    {
        var now = _time.GetTimestamp();
        foreach (var connection in _connections.Keys)
        {
            if (connection.Backend is null || connection.IsAborted)
            {
                continue;
            }

            var idle = connection.IdleFor(now);
            if (connection.IsHalfClosed && _tcp.HalfClosedTimeout > TimeSpan.Zero && idle >= _tcp.HalfClosedTimeout)
            {
                connection.Abort(TcpCloseReason.HalfClosedTimeout);
            }
            else if (_tcp.IdleTimeout > TimeSpan.Zero && idle >= _tcp.IdleTimeout)
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

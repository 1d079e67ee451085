using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;

namespace ServiceProxy.Tcp;

/// <summary>
/// One connection's way through the port: accepted by the transport (<see cref="OnAccepted"/>),
/// admitted against the port's and the process's limits, balanced and dialed through the
/// transport with kube-proxy's retry ladder (<see cref="DialLadder"/>), then relayed by it.
/// </summary>
internal sealed partial class TcpServicePortProxy
{
    private void OnAccepted(TransportSocket accepted, IEndpointBalancer balancer, SourceAllowList? allowed)
    {
        var client = accepted.Socket;
        if (allowed is not null && !IsAllowed(client, allowed))
        {
            RefuseSource(client);
            return;
        }

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
        _ = HandleAsync(accepted, balancer);
    }

    private async Task HandleAsync(TransportSocket accepted, IEndpointBalancer balancer)
    {
        var client = accepted.Socket;
        TcpProxyConnection? connection = null;
        try
        {
            var clientEndPoint = (IPEndPoint)client.RemoteEndPoint!;
            connection = new TcpProxyConnection(client, clientEndPoint, _time);
            _connections.TryAdd(connection, 0);
            _sweepTimer?.Wake();
            if (Volatile.Read(ref _stopping) != 0 && _abortDials.IsCancellationRequested)
            {
                connection.Abort(TcpCloseReason.Shutdown);
                return;
            }

            ConfigureSocket(client);
            var clientIp = clientEndPoint.Address.IsIPv4MappedToIPv6 ? clientEndPoint.Address.MapToIPv4() : clientEndPoint.Address;
            TransportSocket backend = default;
            IPEndPoint? dialed = null;
            var ladder = new DialLadder(_connectTimeouts, balancer, clientIp);
            while (dialed is null && ladder.TryNext(out var endpoint, out var timeout))
            {
                // Dialed here, not in a helper: its own async method would allocate a state machine per dial.
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    ConfigureSocket(socket); // before connect, so buffer sizes shape the window from the handshake on
                    backend = await _transport.ConnectAsync(socket, endpoint, accepted, timeout, _abortDials.Token).ConfigureAwait(false);
                    dialed = endpoint;
                    ladder.Connected(endpoint);
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
                    ladder.Failed(endpoint, endpointsFault: ex is not SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable });
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
                await _transport.RelayAsync(connection, accepted, backend).ConfigureAwait(false);
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

    /// <summary>Whether the accepted <paramref name="client"/>'s address is in <paramref name="allowed"/>; a client whose address cannot be read is not.</summary>
    private static bool IsAllowed(Socket client, SourceAllowList allowed)
    {
        try
        {
            return client.RemoteEndPoint is IPEndPoint remote && allowed.Allows(remote.Address);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Resets a client from outside the listener's allowed sources at once, before any endpoint is picked or dialed.</summary>
    private void RefuseSource(Socket client)
    {
        _metrics.TcpRefused(_portTags, "source");
        if (_refuseLog.TryAcquire(out var suppressed))
        {
            Log.TcpSourceRefused(_logger, Key, client.RemoteEndPoint, suppressed);
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
}

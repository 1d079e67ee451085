using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ServiceProxy.Diagnostics;

namespace ServiceProxy.Udp;

// The data path. ForwardFromClientAsync and ForwardToClientAsync are also the seams a benchmark
// drives: in steady state (session open, sends completing) neither allocates.
internal sealed partial class UdpServicePortProxy
{
    /// <summary>
    /// Forwards one datagram a client sent to <paramref name="listener"/>, opening a session when the
    /// client has none. One caller per listener at a time (its receive loop).
    /// </summary>
    /// <remarks>
    /// The common case (an open session, a send the kernel takes at once) awaits an already
    /// completed send: the pooling builder finishes synchronously and allocates nothing, and the
    /// await consumes the send whatever backs it. Everything else goes through
    /// <see cref="ForwardFromClientSlowAsync"/>.
    /// </remarks>
    internal ValueTask ForwardFromClientAsync(UdpListener listener, ReadOnlyMemory<byte> datagram, SocketAddress client)
    {
        if (datagram.Length >= UdpListener.BufferSize)
        {
            DropTooLarge(datagram.Length);
            return default;
        }

        var key = UdpSessionKey.From(listener.Index, client);
        if (!_table.TryGet(key, out var session) || session.IsClosed)
        {
            return ForwardFromClientSlowAsync(listener, datagram, key);
        }

        _table.Touch(session, _time.GetTimestamp());
        ValueTask<int> send;
        try
        {
            send = session.SendToEndpointAsync(datagram);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // Nothing was sent; the slow path sorts out the session.
            MarkIfUnreachable(session, ex);
            return ForwardFromClientSlowAsync(listener, datagram, key);
        }

        return CompleteSendToEndpointAsync(listener, datagram, key, session, send);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteSendToEndpointAsync(
        UdpListener listener, ReadOnlyMemory<byte> datagram, UdpSessionKey key, UdpSession session, ValueTask<int> send)
    {
        try
        {
            await send.ConfigureAwait(false);
            CountToEndpoint(session, datagram.Length);
            return;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // A failed datagram send never went out; the slow path retries or counts the drop.
            MarkIfUnreachable(session, ex);
        }

        await ForwardFromClientSlowAsync(listener, datagram, key).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardFromClientSlowAsync(UdpListener listener, ReadOnlyMemory<byte> datagram, UdpSessionKey key)
    {

        // A second attempt only when the session closed under us (evicted, endpoint removed, or
        // the endpoint's ICMP error surfaced on this send): the datagram goes to a new session.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (!_table.TryGet(key, out var session) || session.IsClosed)
            {
                session = OpenSession(listener, key, session);
                if (session is null)
                {
                    return;
                }
            }
            else
            {
                _table.Touch(session, _time.GetTimestamp());
            }

            try
            {
                await session.SendToEndpointAsync(datagram).ConfigureAwait(false);
                CountToEndpoint(session, datagram.Length);
                return;
            }
            catch (ObjectDisposedException)
            {
                // Closed under us (evicted, endpoint removed): next attempt opens another session.
            }
            catch (SocketException) when (session.IsClosed)
            {
                // Same, seen as an aborted send.
            }
            catch (SocketException ex) when (IsUnreachable(ex.SocketErrorCode))
            {
                MarkUnreachable(session, ex.SocketErrorCode);
            }
            catch (SocketException ex)
            {
                _metrics.UdpDropped(_tags, UdpDropReason.SendFailed);
                Log.UdpSendFailed(_logger, Key, session.Endpoint, ex.SocketErrorCode);
                return;
            }
        }

        _metrics.UdpDropped(_tags, UdpDropReason.Unreachable);
    }

    /// <summary>Sends one datagram the endpoint of <paramref name="session"/> answered back to its client.</summary>
    internal ValueTask ForwardToClientAsync(UdpSession session, ReadOnlyMemory<byte> datagram)
    {
        if (datagram.Length >= UdpListener.BufferSize)
        {
            DropTooLarge(datagram.Length);
            return default;
        }

        _table.Touch(session, _time.GetTimestamp());
        ValueTask<int> send;
        try
        {
            send = session.Listener.SendToClientAsync(datagram, session.ClientAddress);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            OnSendToClientFailed(session, ex);
            return default;
        }

        return CompleteSendToClientAsync(session, datagram.Length, send);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteSendToClientAsync(UdpSession session, int length, ValueTask<int> send)
    {
        try
        {
            await send.ConfigureAwait(false);
            CountToClient(session, length);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            OnSendToClientFailed(session, ex);
        }
    }

    private void CountToEndpoint(UdpSession session, int length)
    {
        session.DatagramsToEndpoint++;
        session.BytesToEndpoint += length;
        _metrics.UdpForwardedToEndpoint(_tags, length);
    }

    private void CountToClient(UdpSession session, int length)
    {
        session.DatagramsToClient++;
        session.BytesToClient += length;
        _metrics.UdpForwardedToClient(_tags, length);
    }

    private UdpSession? OpenSession(UdpListener listener, UdpSessionKey key, UdpSession? previous)
    {
        var client = previous?.Client ?? key.ToIPEndPoint();
        if (listener.AllowedSources is { } allowed && !allowed.Allows(client.Address))
        {
            _metrics.UdpDropped(_tags, UdpDropReason.SourceNotAllowed);
            return null;
        }

        var failed = previous is { IsClosed: true, CloseReason: UdpCloseReason.Unreachable } ? previous.Endpoint : null;
        var balancer = listener.BalancerFor(client.Address);

        // Twice at most: a pick can race with an update that removes the picked endpoint, and the
        // table then refuses the session (its endpoint is no longer the balancer's).
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var endpoint = balancer.Pick(client.Address, resetAffinity: failed is not null, avoid: failed);
            if (endpoint is null)
            {
                DropNoEndpoints();
                return null;
            }

            // The new flow is dropped, not an older session evicted for it: conntrack drops new
            // flows when its table is full too, and the sessions already open, on every port,
            // keep working through a flood of new source addresses.
            if (!_budget.TryAcquireSession())
            {
                Refuse(client, "process");
                return null;
            }

            Socket socket;
            try
            {
                socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            }
            catch (SocketException ex)
            {
                _budget.ReleaseSession();
                if (ex.SocketErrorCode == SocketError.TooManyOpenSockets)
                {
                    Refuse(client, "descriptors"); // a MaxConnections above what the limit fits
                }
                else
                {
                    _metrics.UdpDropped(_tags, UdpDropReason.SendFailed);
                    Log.UdpSendFailed(_logger, Key, endpoint, ex.SocketErrorCode);
                }

                return null;
            }

            try
            {
                // A UDP connect only sets the default peer (and filters what we receive): no I/O.
                socket.Connect(endpoint);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                _budget.ReleaseSession();
                _metrics.UdpDropped(_tags, UdpDropReason.SendFailed);
                Log.UdpSendFailed(_logger, Key, endpoint, ex.SocketErrorCode);
                return null;
            }

            var now = _time.GetTimestamp();
            var session = new UdpSession(this, listener, key, client, endpoint, socket, _transport, now, _budget);
            if (!_table.TryAdd(session, now, out var replaced, out var evicted))
            {
                socket.Dispose();
                session.OnSocketClosed();
                continue;
            }

            _sweepTimer?.Wake();
            Interlocked.Increment(ref _activeSessions);
            _metrics.UdpSessionOpened(_tags);
            if (replaced is not null)
            {
                CloseSession(replaced, UdpCloseReason.Error);
            }

            if (evicted is not null)
            {
                CloseSession(evicted, UdpCloseReason.Evicted);
            }

            Log.UdpSessionOpened(_logger, Key, client, endpoint);
            session.Start();
            return session;
        }

        _metrics.UdpDropped(_tags, UdpDropReason.NoEndpoints);
        return null;
    }

    private bool CloseSession(UdpSession session, UdpCloseReason reason)
    {
        if (!session.TryClose(reason))
        {
            return false;
        }

        Interlocked.Decrement(ref _activeSessions);
        _metrics.UdpSessionClosed(_tags, reason);
        if (_options.AccessLog)
        {
            Log.UdpSessionAccess(
                _logger,
                session.Client,
                Key,
                session.Endpoint,
                session.DatagramsToEndpoint,
                session.BytesToEndpoint,
                session.DatagramsToClient,
                session.BytesToClient,
                (long)_time.GetElapsedTime(session.StartedAt).TotalMilliseconds,
                reason.ToTagValue());
        }

        return true;
    }

    private void DropNoEndpoints()
    {
        _metrics.UdpDropped(_tags, UdpDropReason.NoEndpoints);
        Interlocked.Increment(ref _noEndpointsDropped);
        var now = _time.GetTimestamp();
        var next = Volatile.Read(ref _nextNoEndpointsLog);
        if (now >= next
            && Interlocked.CompareExchange(ref _nextNoEndpointsLog, now + ToTimestampTicks(NoEndpointsLogInterval), next) == next)
        {
            Log.UdpNoEndpoints(_logger, Key, Interlocked.Exchange(ref _noEndpointsDropped, 0));
        }
    }

    /// <summary>
    /// Drops the datagram of a new flow because the <paramref name="limit"/> (<c>process</c>: the
    /// descriptor budget; <c>descriptors</c>: the process had none left) allows no session more.
    /// </summary>
    private void Refuse(IPEndPoint client, string limit)
    {
        _metrics.UdpRefused(_tags, limit);
        if (_refuseLog.TryAcquire(out var suppressed))
        {
            Log.UdpSessionRefused(_logger, Key, client, limit, _budget.MaxSessions, suppressed);
        }
    }

    private void DropTooLarge(int size)
    {
        _metrics.UdpDropped(_tags, UdpDropReason.TooLarge);
        Log.UdpDatagramTooLarge(_logger, Key, size);
    }
}

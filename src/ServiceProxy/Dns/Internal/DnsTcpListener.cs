using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Diagnostics;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// DNS over TCP (RFC 7766): length-framed queries answered in order on each connection, for clients
/// whose UDP answer was truncated. At most <c>max</c> connections at once (one beyond is closed at
/// accept); a connection idle, or stalled within a query, for the idle timeout is closed.
/// </summary>
internal sealed class DnsTcpListener
{
    private readonly Socket _listener;
    private readonly DnsResponder _responder;
    private readonly DnsForwarder? _forwarder;
    private readonly DnsServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task _accepting = Task.CompletedTask;

    public DnsTcpListener(Socket listener, DnsResponder responder, DnsForwarder? forwarder, DnsServerOptions options, ILogger logger)
    {
        _listener = listener;
        _responder = responder;
        _forwarder = forwarder;
        _options = options;
        _logger = logger;
    }

    public void Start() => _accepting = AcceptAsync();

    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                continue; // the client reset before accept, or descriptors are short: later ones may succeed
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (_connections.Count >= _options.MaxTcpConnections)
            {
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[client] = served.Task;
            _ = ServeAsync(client, served);
        }
    }

    private async Task ServeAsync(Socket client, TaskCompletionSource served)
    {
        var query = ArrayPool<byte>.Shared.Rent(DnsWire.MaxMessage);
        var response = ArrayPool<byte>.Shared.Rent(DnsWire.MaxMessage + 2);
        var reason = "closed by the client";
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        try
        {
            while (true)
            {
                idle.CancelAfter(_options.TcpIdleTimeout);
                if (!await DnsTcpFraming.ReceiveExactlyAsync(client, query.AsMemory(0, 2), idle.Token).ConfigureAwait(false))
                {
                    break;
                }

                var length = BinaryPrimitives.ReadUInt16BigEndian(query);
                if (!await DnsTcpFraming.ReceiveExactlyAsync(client, query.AsMemory(0, length), idle.Token).ConfigureAwait(false))
                {
                    reason = "closed within a query";
                    break;
                }

                var answer = await AnswerAsync(query.AsMemory(0, length), response, idle.Token).ConfigureAwait(false);
                if (answer < 0)
                {
                    reason = "sent a message that is not a query";
                    break;
                }

                await client.SendAsync(response.AsMemory(0, answer), SocketFlags.None, idle.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            reason = _stopping.IsCancellationRequested ? "server stopping" : "idle timeout";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            reason = e.Message;
        }
        finally
        {
            Log.DnsTcpClosed(_logger, client.RemoteEndPoint, reason);
            _connections.TryRemove(client, out _);
            client.Dispose();
            ArrayPool<byte>.Shared.Return(query);
            ArrayPool<byte>.Shared.Return(response);
            served.SetResult();
        }
    }

    /// <summary>Writes the framed answer into <paramref name="response"/>; its length with the frame, or -1 to close.</summary>
    private async ValueTask<int> AnswerAsync(ReadOnlyMemory<byte> query, byte[] response, CancellationToken cancellationToken)
    {
        var outcome = _responder.Respond(query.Span, response.AsSpan(2), udp: false, out var length);
        if (outcome == DnsOutcome.Drop)
        {
            return -1;
        }

        if (outcome == DnsOutcome.Forward)
        {
            var upstream = await _forwarder!.ForwardAsync(query, length, cancellationToken).ConfigureAwait(false);
            if (upstream is null)
            {
                length = DnsResponder.WriteServerFailure(query.Span, length, response.AsSpan(2));
            }
            else
            {
                upstream.CopyTo(response, 2);
                length = upstream.Length;
            }
        }

        BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)length);
        return length + 2;
    }
}

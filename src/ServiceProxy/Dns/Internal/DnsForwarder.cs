using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Diagnostics;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// Sends queries for names outside the zone to the upstream servers (round-robin) and their answers
/// back. Each query goes out under a random free ID on a connected UDP socket (so only that upstream's
/// datagrams arrive), and the answer is taken only if its ID and question match. At most
/// <c>max</c> queries wait at once; one that gets no answer within the timeout is answered SERVFAIL.
/// An answer truncated over UDP for a TCP client is asked again over TCP.
/// </summary>
internal sealed class DnsForwarder : IAsyncDisposable
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly IPEndPoint[] _upstreams;
    private readonly Socket[] _sockets;
    private readonly Pending?[] _slots = new Pending?[65536];
    private readonly LinkedList<Pending> _byDeadline = []; // under _gate; deadlines only grow, so the head expires first
    private readonly Lock _gate = new();
    private readonly int _max;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _sweep;
    private readonly Task[] _receivers;
    private int _next;
    private long _timedOut;
    private long _refused;
    private long _lastReport;

    public DnsForwarder(IReadOnlyList<IPEndPoint> upstreams, int max, TimeSpan timeout, TimeProvider time, ILogger logger)
    {
        _upstreams = [.. upstreams];
        _max = max;
        _timeout = timeout;
        _time = time;
        _logger = logger;
        _lastReport = time.GetTimestamp();
        _sockets = new Socket[_upstreams.Length];
        for (var i = 0; i < _upstreams.Length; i++)
        {
            _sockets[i] = new Socket(_upstreams[i].AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _sockets[i].Connect(_upstreams[i]);
        }

        _receivers = [.. _sockets.Select((s, i) => Task.Run(() => ReceiveAsync(s, i)))];
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 4, 10, 250));
        _sweep = time.CreateTimer(_ => Sweep(), null, tick, tick);
    }

    public IReadOnlyList<IPEndPoint> Upstreams => _upstreams;

    /// <summary>Sends <paramref name="query"/> upstream; the answer goes to <paramref name="client"/> through <paramref name="replyVia"/>. False: it could not be sent.</summary>
    public bool TryForward(ReadOnlySpan<byte> query, int questionEnd, SocketAddress client, Socket replyVia)
    {
        var copy = new SocketAddress(client.Family, client.Size);
        client.Buffer.Span[..client.Size].CopyTo(copy.Buffer.Span);
        return Send(new Pending(query.ToArray(), questionEnd) { Client = copy, ReplyVia = replyVia });
    }

    /// <summary>The upstream's answer to <paramref name="query"/> for a TCP client, or null when there is none in time.</summary>
    public async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, int questionEnd, CancellationToken cancellationToken)
    {
        var pending = new Pending(query.ToArray(), questionEnd) { Completion = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        if (!Send(pending))
        {
            return null;
        }

        var answer = await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (answer is null || (answer[2] & DnsWire.FlagTc) == 0)
        {
            return answer;
        }

        // Too large for UDP: ask the same upstream over TCP, as a stub resolver would.
        return await AskOverTcpAsync(_upstreams[pending.Upstream], query, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_receivers).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var pending in _byDeadline)
            {
                pending.Completion?.TrySetResult(null);
            }
        }

        _stopping.Dispose();
    }

    private bool Send(Pending pending)
    {
        lock (_gate)
        {
            if (_byDeadline.Count >= _max)
            {
                _refused++;
                return false;
            }

            int id;
            do
            {
                id = Random.Shared.Next(_slots.Length);
            }
            while (_slots[id] is not null);
            pending.Id = (ushort)id;
            pending.Upstream = _next++ % _upstreams.Length;
            pending.Deadline = _time.GetTimestamp() + (long)(_timeout.TotalSeconds * _time.TimestampFrequency);
            pending.Node = _byDeadline.AddLast(pending);
            _slots[id] = pending;
        }

        Span<byte> header = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(header, pending.Id);
        try
        {
            // The query goes out under its upstream ID; the client's stays in Query for the answer and SERVFAIL.
            Span<byte> outgoing = pending.Query.Length <= 512 ? stackalloc byte[pending.Query.Length] : new byte[pending.Query.Length];
            pending.Query.CopyTo(outgoing);
            header.CopyTo(outgoing);
            _sockets[pending.Upstream].Send(outgoing, SocketFlags.None);
            return true;
        }
        catch (SocketException)
        {
            Take(pending.Id, pending);
            return false;
        }
    }

    private async Task ReceiveAsync(Socket socket, int upstream)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(DnsWire.MaxMessage);
        while (!_stopping.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                continue; // ICMP unreachable from a dead upstream: its queries time out
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (received < DnsWire.HeaderLength || (buffer[2] & DnsWire.FlagQr) == 0)
            {
                continue;
            }

            var id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            var pending = Volatile.Read(ref _slots[id]);
            if (pending is null || pending.Upstream != upstream || received < pending.QuestionEnd
                || !buffer.AsSpan(DnsWire.HeaderLength, pending.QuestionEnd - DnsWire.HeaderLength)
                    .SequenceEqual(pending.Query.AsSpan(DnsWire.HeaderLength, pending.QuestionEnd - DnsWire.HeaderLength))
                || !Take(id, pending))
            {
                continue;
            }

            BinaryPrimitives.WriteUInt16BigEndian(buffer, BinaryPrimitives.ReadUInt16BigEndian(pending.Query));
            Deliver(pending, buffer.AsSpan(0, received));
        }
    }

    private static void Deliver(Pending pending, ReadOnlySpan<byte> answer)
    {
        if (pending.Completion is { } completion)
        {
            completion.TrySetResult(answer.ToArray());
            return;
        }

        try
        {
            pending.ReplyVia!.SendTo(answer, SocketFlags.None, pending.Client!);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client is gone or the server is stopping; the answer has nowhere to go.
        }
    }

    private bool Take(ushort id, Pending pending)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_slots[id], pending))
            {
                return false;
            }

            _slots[id] = null;
            _byDeadline.Remove(pending.Node!);
            return true;
        }
    }

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        List<Pending>? expired = null;
        long timedOut = 0, refused = 0;
        var report = false;
        lock (_gate)
        {
            while (_byDeadline.First is { } head && head.Value.Deadline <= now)
            {
                _byDeadline.RemoveFirst();
                _slots[head.Value.Id] = null;
                (expired ??= []).Add(head.Value);
            }

            _timedOut += expired?.Count ?? 0;
            if (_time.GetElapsedTime(_lastReport, now) >= ReportInterval && (_timedOut > 0 || _refused > 0))
            {
                (timedOut, refused, _timedOut, _refused, _lastReport, report) = (_timedOut, _refused, 0, 0, now, true);
            }
        }

        if (expired is not null)
        {
            var response = new byte[DnsWire.MaxMessage];
            foreach (var pending in expired)
            {
                if (pending.Completion is { } completion)
                {
                    completion.TrySetResult(null);
                    continue;
                }

                var length = DnsResponder.WriteServerFailure(pending.Query, pending.QuestionEnd, response);
                Deliver(pending, response.AsSpan(0, length));
            }
        }

        if (report)
        {
            if (timedOut > 0)
            {
                Log.DnsForwardTimeouts(_logger, timedOut);
            }

            if (refused > 0)
            {
                Log.DnsForwardTableFull(_logger, refused);
            }
        }
    }

    private static async Task<byte[]?> AskOverTcpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
            var framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed.AsMemory(2));
            await socket.SendAsync(framed, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var length = new byte[2];
            if (!await DnsTcpFraming.ReceiveExactlyAsync(socket, length, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
            return await DnsTcpFraming.ReceiveExactlyAsync(socket, answer, cancellationToken).ConfigureAwait(false) ? answer : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private sealed class Pending(byte[] query, int questionEnd)
    {
        /// <summary>The query as the client sent it (its own ID).</summary>
        public byte[] Query { get; } = query;

        public int QuestionEnd { get; } = questionEnd;

        public ushort Id { get; set; }

        public int Upstream { get; set; }

        public long Deadline { get; set; }

        public LinkedListNode<Pending>? Node { get; set; }

        public SocketAddress? Client { get; init; }

        public Socket? ReplyVia { get; init; }

        public TaskCompletionSource<byte[]?>? Completion { get; init; }
    }
}

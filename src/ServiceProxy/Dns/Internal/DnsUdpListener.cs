using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using ServiceProxy.Diagnostics;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// Receives and answers UDP queries on threads of its own, each blocking in <c>recvfrom</c> and
/// answering from the zone's table into its own buffers: nothing is allocated per answered query,
/// and a flood occupies these threads only, never the data plane's event loops. On Linux a thread
/// takes every query waiting with one <c>recvmmsg</c> and sends their answers with one
/// <c>sendmmsg</c> (<see cref="UdpDatagramBatch"/>): under load two system calls per batch rather
/// than per query; an idle server answers a lone query as fast as before.
/// </summary>
internal sealed class DnsUdpListener
{
    /// <summary>How often a blocked receive wakes to see whether the server is stopping.</summary>
    private const int StopPollMilliseconds = 250;

    private readonly Socket _socket;
    private readonly DnsResponder _responder;
    private readonly DnsForwarder? _forwarder;
    private readonly ILogger _logger;
    private readonly Thread[] _threads;
    private volatile bool _stopping;

    public DnsUdpListener(Socket socket, DnsResponder responder, DnsForwarder? forwarder, int threads, ILogger logger)
    {
        _socket = socket;
        _responder = responder;
        _forwarder = forwarder;
        _logger = logger;
        _socket.ReceiveTimeout = StopPollMilliseconds;

        // A full send buffer would block the thread that answers everyone: give up that one answer instead.
        _socket.SendTimeout = StopPollMilliseconds;
        ThreadStart loop = OperatingSystem.IsLinux() ? RunBatched : Run;
        _threads = [.. Enumerable.Range(0, threads).Select(i => new Thread(loop) { IsBackground = true, Name = $"svcproxy-dns-udp-{i}" })];
    }

    public void Start()
    {
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Stops every thread and waits for it (each wakes within the stop poll interval).</summary>
    public void Stop()
    {
        _stopping = true;
        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    // Fully optimized from the first query: this loop is entered once and runs for the server's life,
    // so tiered compilation would serve the first queries of a burst from unoptimized code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run()
    {
        var query = GC.AllocateUninitializedArray<byte>(DnsWire.MaxMessage);
        var response = GC.AllocateUninitializedArray<byte>(DnsWire.MaxMessage);
        var client = new SocketAddress(_socket.AddressFamily);
        while (!_stopping)
        {
            try
            {
                var received = _socket.ReceiveFrom(query, SocketFlags.None, client);
                if (Answer(query.AsSpan(0, received), response, client, null, 0, out var length))
                {
                    _socket.SendTo(response.AsSpan(0, length), SocketFlags.None, client);
                }
            }
            catch (SocketException)
            {
                // A receive timeout (the stop poll), or a send the kernel refused (full buffer,
                // unreachable client): that one answer is lost, as a datagram may be.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
#pragma warning disable CA1031 // One bad query must not end the loop that answers every other.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.DnsUdpLoopFailed(_logger, e);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunBatched()
    {
        using var batch = new UdpDatagramBatch(DnsWire.MaxMessage);
        while (!_stopping)
        {
            try
            {
                var received = batch.Receive(_socket);
                for (var i = 0; i < received; i++)
                {
                    try
                    {
                        Answer(batch, i);
                    }
#pragma warning disable CA1031 // One bad query must not cost the answers to the others in its batch.
                    catch (Exception e) when (e is not ObjectDisposedException)
#pragma warning restore CA1031
                    {
                        Log.DnsUdpLoopFailed(_logger, e);
                    }
                }

                batch.SendReplies(_socket);
            }
            catch (SocketException)
            {
                // A receive the kernel refused: the datagrams of this batch are lost, as datagrams may be.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
#pragma warning disable CA1031 // One bad query must not end the loop that answers every other.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.DnsUdpLoopFailed(_logger, e);
            }
        }
    }

    private void Answer(UdpDatagramBatch batch, int index)
    {
        if (Answer(batch.Datagram(index), batch.ReplyBuffer(index), null, batch, index, out var length))
        {
            batch.Reply(index, length);
        }
    }

    /// <summary>
    /// Writes the answer to <paramref name="query"/>; false when none is sent now (forwarded upstream,
    /// or dropped). The sender is <paramref name="client"/>, or read from the batch only when a
    /// forward needs it.
    /// </summary>
    private bool Answer(ReadOnlySpan<byte> query, Span<byte> response, SocketAddress? client, UdpDatagramBatch? batch, int index, out int length)
    {
        var outcome = _responder.Respond(query, response, udp: true, out length);
        if (outcome == DnsOutcome.Forward && !_forwarder!.TryForward(query, length, client ?? batch!.Sender(index, _socket.AddressFamily), _socket))
        {
            length = DnsResponder.WriteServerFailure(query, length, response);
            return true;
        }

        return outcome == DnsOutcome.Reply;
    }
}

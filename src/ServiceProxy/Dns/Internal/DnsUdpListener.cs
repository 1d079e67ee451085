using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using ServiceProxy.Diagnostics;

namespace ServiceProxy.Dns.Internal;

/// <summary>
/// Receives and answers UDP queries on threads of its own, each blocking in <c>recvfrom</c> and
/// answering from the zone's table into its own buffers: nothing is allocated per answered query,
/// and a flood occupies these threads only, never the data plane's event loops.
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
        _threads = [.. Enumerable.Range(0, threads).Select(i => new Thread(Run) { IsBackground = true, Name = $"svcproxy-dns-udp-{i}" })];
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
                var outcome = _responder.Respond(query.AsSpan(0, received), response, udp: true, out var length);
                if (outcome == DnsOutcome.Forward && !_forwarder!.TryForward(query.AsSpan(0, received), length, client, _socket))
                {
                    length = DnsResponder.WriteServerFailure(query, length, response);
                    outcome = DnsOutcome.Reply;
                }

                if (outcome == DnsOutcome.Reply)
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
}

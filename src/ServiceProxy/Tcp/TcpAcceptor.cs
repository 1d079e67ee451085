using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>
/// One listening socket and its accept loop. The loop only accepts and hands the socket over;
/// dialing the backend happens elsewhere, so a slow backend never delays the next accept.
/// </summary>
internal sealed class TcpAcceptor
{
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly ServicePortKey _key;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LogThrottle _failureLog;
    private Task _loop = Task.CompletedTask;
    private LoopAcceptor? _loopAcceptor;
    private DescriptorReserve? _reserve;
    private volatile bool _stopped;

    private TcpAcceptor(Socket socket, IPEndPoint requested, ServicePortKey key, ILogger logger, TimeProvider time)
    {
        _socket = socket;
        _key = key;
        _logger = logger;
        _time = time;
        _failureLog = new LogThrottle(time, FailureLogInterval);
        Requested = requested;
        Bound = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint Requested { get; }

    /// <summary>The bound address; differs from <see cref="Requested"/> when port 0 was asked for.</summary>
    public IPEndPoint Bound { get; }

    /// <summary>Binds and listens, or returns the reason it could not (address in use, not local, …).</summary>
    public static TcpAcceptor? TryBind(IPEndPoint endPoint, int backlog, ServicePortKey key, ILogger logger, TimeProvider time, out string? error)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Lets a restarted listener bind while old connections on the port sit in TIME_WAIT;
            // two live listeners on one address still conflict (that needs SO_REUSEPORT).
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            FreeBind.Enable(socket);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            error = null;
            return new TcpAcceptor(socket, endPoint, key, logger, time);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = $"cannot listen on {endPoint}: {ex.SocketErrorCode} ({ex.Message})";
            return null;
        }
    }

    /// <summary>
    /// Starts accepting: on the event loops of <paramref name="loops"/> when given (then
    /// <paramref name="onAccepted"/> runs on the loop that accepted), else with .NET's accept.
    /// </summary>
    /// <remarks>
    /// Out of descriptors, the clients waiting to be accepted are reset through a descriptor kept
    /// in <paramref name="reserve"/> (Linux), counted by <paramref name="onReset"/>, and accepting backs off for
    /// 100 ms, as Go's and Kestrel's accept loops do, rather than spin on EMFILE.
    /// </remarks>
    public void Start(Action<TransportSocket> onAccepted, DescriptorReserve reserve, EventLoopGroup? loops = null, Action<int>? onReset = null)
    {
        _reserve = reserve;
        if (loops is not null)
        {
            _loopAcceptor = LoopAcceptor.TryStart(_socket, loops, onAccepted, OnLoopAcceptFailed, _time, onReset);
            if (_loopAcceptor is not null)
            {
                return;
            }
        }

        reserve.Ensure();
        _loop = AcceptLoopAsync(onAccepted, onReset);
    }

    /// <summary>Closes the listening socket (synchronously, so the address is free on return) and waits for the loop.</summary>
    public Task StopAsync()
    {
        _stopped = true;
        _loopAcceptor?.Stop();
        _socket.Dispose();
        return _loop;
    }

    private void OnLoopAcceptFailed(int errno)
    {
        if (_failureLog.TryAcquire(out var suppressed))
        {
            Log.TcpAcceptFailed(_logger, _key, Bound, $"{Libc.SocketError(errno).SocketErrorCode} (errno {errno})", suppressed);
        }
    }

    /// <summary>Out of descriptors: resets the clients waiting in the backlog (Linux), holding the listener open meanwhile.</summary>
    private void ResetPending(Action<int>? onReset)
    {
        if (!Libc.IsSupported || !DescriptorLease.TryTake(_socket, out var lease))
        {
            return;
        }

        try
        {
            Libc.SetNonBlocking(lease.Fd); // .NET's already is on Linux; an empty backlog must answer EAGAIN
            if (_reserve!.ResetPending(lease.Fd) is > 0 and var reset)
            {
                onReset?.Invoke(reset);
            }
        }
        finally
        {
            lease.Release();
        }
    }

    private async Task AcceptLoopAsync(Action<TransportSocket> onAccepted, Action<int>? onReset)
    {
        await Task.Yield();
        while (!_stopped)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (_stopped)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A client that reset before accept, or a process out of descriptors: the listener lives on.
                if (_failureLog.TryAcquire(out var suppressed))
                {
                    Log.TcpAcceptFailed(_logger, _key, Bound, ex.SocketErrorCode.ToString(), suppressed);
                }

                if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    if (ex.SocketErrorCode == SocketError.TooManyOpenSockets)
                    {
                        ResetPending(onReset);
                    }

                    await Task.Delay(Libc.ResourceBackoff, _time).ConfigureAwait(false);
                }

                continue;
            }

            onAccepted(new TransportSocket(accepted, Loop: null));
        }
    }
}

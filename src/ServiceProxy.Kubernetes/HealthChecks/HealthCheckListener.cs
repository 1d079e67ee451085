using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Diagnostics;

namespace ServiceProxy.Kubernetes.HealthChecks;

/// <summary>
/// One health-check node port on every node address: a listening socket per address, an accept
/// loop each, and at most <see cref="MaxConcurrent"/> conversations at once (a client beyond that
/// is closed at accept), so a flood costs a bounded amount of memory.
/// </summary>
internal sealed class HealthCheckListener : IAsyncDisposable
{
    /// <summary>Conversations served at once on this port, across its addresses.</summary>
    public const int MaxConcurrent = 64;

    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private volatile HealthCheckState _state;
    private int _active;

    public HealthCheckListener(int port, IReadOnlyList<IPAddress> addresses, HealthCheckState state, ILogger logger)
    {
        Port = port;
        _state = state;
        _logger = logger;
        foreach (var address in addresses.Count > 0 ? addresses : [IPAddress.Any])
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(address, port));
                socket.Listen(128);
                _sockets.Add(socket);
                _loops.Add(AcceptLoopAsync(socket));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                Log.HealthCheckBindFailed(logger, new IPEndPoint(address, port), state.Namespace + "/" + state.Name, ex.SocketErrorCode.ToString());
            }
        }
    }

    public int Port { get; }

    /// <summary>The bound addresses (tests look at them).</summary>
    public IEnumerable<IPEndPoint> Bound => _sockets.Select(s => (IPEndPoint)s.LocalEndPoint!);

    /// <summary>What the next answer says; swapped in one write, read once per request.</summary>
    public HealthCheckState State
    {
        get => _state;
        set => _state = value;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (Interlocked.Increment(ref _active) > MaxConcurrent)
            {
                Interlocked.Decrement(ref _active);
                client.Dispose();
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            await HealthCheckResponder.RespondAsync(client, () => _state, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the port closed: nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }
}

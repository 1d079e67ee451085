using System.Net;
using System.Net.Sockets;
using ServiceProxy.Balancing;

namespace ServiceProxy.Tcp;

/// <summary>
/// Connects to a backend with kube-proxy's retry ladder: one attempt per entry of
/// <see cref="TcpProxyOptions.ConnectTimeouts"/>, asking the balancer each time; after the first
/// failure the client's affinity is reset and the failed endpoint avoided.
/// </summary>
internal sealed class TcpDialer(
    IReadOnlyList<TimeSpan> timeouts,
    TimeProvider time,
    Func<Socket, IPEndPoint, CancellationToken, ValueTask> connect,
    Action<Socket>? configure = null)
{
    public async Task<DialResult> ConnectAsync(
        IEndpointBalancer balancer, IPAddress client, Action<IPEndPoint, int, TimeSpan, Exception>? onAttemptFailed, CancellationToken cancellationToken)
    {
        IPEndPoint? failed = null;
        for (var attempt = 0; attempt < timeouts.Count; attempt++)
        {
            var endpoint = balancer.Pick(client, resetAffinity: attempt > 0, avoid: failed);
            if (endpoint is null)
            {
                return new DialResult(null, null, attempt);
            }

            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            configure?.Invoke(socket); // before connect, so buffer sizes shape the window from the handshake on
            using var timeout = new CancellationTokenSource(timeouts[attempt], time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await connect(socket, endpoint, linked.Token).ConfigureAwait(false);
                return new DialResult(socket, endpoint, attempt + 1);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                onAttemptFailed?.Invoke(endpoint, attempt + 1, timeouts[attempt], ex);
                failed = endpoint;
            }
        }

        return new DialResult(null, null, timeouts.Count);
    }
}

/// <summary>The connected backend socket, or null when no endpoint exists or every attempt failed.</summary>
internal readonly record struct DialResult(Socket? Socket, IPEndPoint? Endpoint, int Attempts);

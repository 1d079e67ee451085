using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>
/// The engines on .NET's sockets (<see cref="RelayEngine.Socket"/>, <see cref="RelayEngine.Pipelines"/>):
/// .NET accepts and connects; they differ in how they relay.
/// </summary>
internal abstract class DotNetTcpTransport(TcpProxyOptions options, EventLoopGroup loops, ILogger logger, TimeProvider time) : ITcpTransport
{
    public TcpAcceptor? Listen(IPEndPoint endPoint, ServicePortKey key, Action<TransportSocket> onAccepted, Action<int> onReset, out string? error)
    {
        var acceptor = TcpAcceptor.TryBind(endPoint, options.Backlog, key, logger, time, out error);
        acceptor?.Start(onAccepted, loops.Reserve, onReset: onReset);
        return acceptor;
    }

    public async ValueTask<TransportSocket> ConnectAsync(Socket socket, IPEndPoint endpoint, TransportSocket client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        await socket.ConnectAsync(endpoint, attempt.Token).ConfigureAwait(false);
        return new TransportSocket(socket, Loop: null);
    }

    public abstract ValueTask RelayAsync(TcpProxyConnection connection, TransportSocket client, TransportSocket backend);
}

using System.Net;
using System.Net.Sockets;
using ServiceProxy.Configuration;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>
/// A socket and the event loop that serves it, when its transport runs loops: an accepted client
/// carries the loop that accepted it, a dialed backend the loop that connected it (its epoll
/// registration is there), so a connection can stay on one thread from accept to close.
/// <paramref name="NonBlocking"/>: the descriptor is non-blocking at the OS level already (accepted
/// with accept4's SOCK_NONBLOCK), so a transport that needs it so makes no call to set it.
/// </summary>
internal readonly record struct TransportSocket(Socket Socket, EventLoop? Loop, bool NonBlocking = false);

/// <summary>
/// How a TCP service port moves its connections, in Kestrel's transport style: <see cref="Listen"/>
/// accepts clients, <see cref="ConnectAsync"/> dials a backend and <see cref="RelayAsync"/> moves
/// bytes between the two. <see cref="TcpServicePortProxy"/> balances and counts between these
/// calls; one engine per <see cref="RelayEngine"/> implements them.
/// </summary>
internal interface ITcpTransport
{
    /// <summary>
    /// Binds and listens on <paramref name="endPoint"/>, then hands each client to
    /// <paramref name="onAccepted"/> (which must not block); <paramref name="onReset"/> counts the
    /// clients reset because the process was out of descriptors. Null with the reason when the
    /// address cannot be bound.
    /// </summary>
    TcpAcceptor? Listen(IPEndPoint endPoint, ServicePortKey key, Action<TransportSocket> onAccepted, Action<int> onReset, out string? error);

    /// <summary>
    /// Connects <paramref name="socket"/> to <paramref name="endpoint"/> for the client
    /// <paramref name="client"/>, giving up with an <see cref="OperationCanceledException"/> after
    /// <paramref name="timeout"/> or when <paramref name="cancellationToken"/> fires. Awaited once.
    /// </summary>
    ValueTask<TransportSocket> ConnectAsync(Socket socket, IPEndPoint endpoint, TransportSocket client, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Moves bytes both ways between the connection's client (<paramref name="client"/>, as
    /// <see cref="Listen"/> handed it over) and <paramref name="backend"/> (the socket
    /// <see cref="ConnectAsync"/> returned) until both directions have ended (FIN each way)
    /// or the connection is aborted. Never throws: failures end up as
    /// <see cref="TcpProxyConnection.Abort"/> with a reason. Awaited once.
    /// </summary>
    ValueTask RelayAsync(TcpProxyConnection connection, TransportSocket client, TransportSocket backend);
}

/// <summary>Maps a failed relay operation to the side that failed.</summary>
internal static class RelayFailure
{
    /// <summary>
    /// A receive fails because of the direction's source, a send because of its target; a reset
    /// or broken pipe names that side, anything else is an error.
    /// </summary>
    public static TcpCloseReason Reason(Exception ex, bool onTarget, RelayDirection direction)
    {
        var isReset = ex switch
        {
            SocketException s => s.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted,
            Pipelines.Sockets.Unofficial.ConnectionResetException => true,
            IOException => onTarget, // the send loop reports the target's reset as an IOException
            _ => false,
        };
        return isReset ? ResetBy(onTarget, direction) : TcpCloseReason.Error;
    }

    /// <summary>The side that reset: the direction's target when a send failed, its source when a receive did.</summary>
    public static TcpCloseReason ResetBy(bool onTarget, RelayDirection direction) =>
        (direction == RelayDirection.Upstream) != onTarget ? TcpCloseReason.ClientReset : TcpCloseReason.BackendReset;
}

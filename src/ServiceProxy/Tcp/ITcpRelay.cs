namespace ServiceProxy.Tcp;

/// <summary>
/// Moves bytes both ways between a connection's client and backend until both directions have
/// ended (FIN each way) or the connection is aborted. Never throws: failures end up as
/// <see cref="TcpProxyConnection.Abort"/> with a reason.
/// </summary>
internal interface ITcpRelay
{
    /// <summary>Completes once the relay has ended; awaited exactly once.</summary>
    ValueTask RunAsync(TcpProxyConnection connection);

    /// <summary>
    /// Connects a backend socket the way this relay wants it connected, giving up with an
    /// <see cref="OperationCanceledException"/> after <paramref name="timeout"/> or when
    /// <paramref name="cancellationToken"/> fires. Awaited exactly once.
    /// </summary>
    async ValueTask ConnectAsync(System.Net.Sockets.Socket socket, System.Net.IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        await socket.ConnectAsync(endpoint, attempt.Token).ConfigureAwait(false);
    }
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
            System.Net.Sockets.SocketException s => s.SocketErrorCode is System.Net.Sockets.SocketError.ConnectionReset
                or System.Net.Sockets.SocketError.Shutdown or System.Net.Sockets.SocketError.ConnectionAborted,
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

using System.Net.Sockets;
using ServiceProxy.Diagnostics;

namespace ServiceProxy.Udp;

// What the data path does when a receive or a send fails: drops counted by reason, sessions whose
// endpoint answered with an ICMP error marked so that the client's next datagram avoids it.
internal sealed partial class UdpServicePortProxy
{
    private void OnSendToClientFailed(UdpSession session, Exception exception)
    {
        // ObjectDisposedException: the listener stopped, and StopAsync closes this session next.
        if (exception is SocketException socketException)
        {
            _metrics.UdpDropped(_tags, UdpDropReason.SendFailed);
            Log.UdpSendFailed(_logger, Key, session.Client, socketException.SocketErrorCode);
        }
    }

    /// <summary>
    /// A send the loop queued on its ring (<see cref="UdpLoopReceiver.TryQueueSend"/>), already
    /// counted as forwarded, was refused: to <paramref name="session"/>'s endpoint, or to a client
    /// when null. The datagram is dropped; an endpoint's ICMP error marks its session, as a failed
    /// send(2) does.
    /// </summary>
    internal void OnQueuedSendRefused(UdpSession? session, SocketError error)
    {
        if (session is null)
        {
            _metrics.UdpDropped(_tags, IsUnreachable(error) ? UdpDropReason.ClientUnreachable : UdpDropReason.SendFailed);
            return;
        }

        if (IsUnreachable(error))
        {
            _metrics.UdpDropped(_tags, UdpDropReason.Unreachable);
            MarkUnreachable(session, error);
            return;
        }

        _metrics.UdpDropped(_tags, UdpDropReason.SendFailed);
        Log.UdpSendFailed(_logger, Key, session.Endpoint, error);
    }

    /// <summary>The session's receive failed: ICMP unreachable marks it, anything else closes it.</summary>
    internal void OnSessionFailed(UdpSession session, Exception exception)
    {
        if (exception is SocketException socketException && IsUnreachable(socketException.SocketErrorCode))
        {
            MarkUnreachable(session, socketException.SocketErrorCode);
            return;
        }

        Log.UdpSessionFailed(_logger, Key, session.Client, session.Endpoint, exception);
        _table.Remove(session);
        CloseSession(session, UdpCloseReason.Error);
    }

    internal void OnListenerReceiveError(UdpListener listener, SocketError error)
    {
        if (IsUnreachable(error))
        {
            _metrics.UdpDropped(_tags, UdpDropReason.ClientUnreachable);
        }
        else if (error == SocketError.MessageSize)
        {
            DropTooLarge(UdpListener.BufferSize);
        }
        else
        {
            Log.UdpReceiveError(_logger, Key, listener.LocalEndPoint, error);
        }
    }

    internal void OnForwardFailed(UdpListener listener, Exception exception) =>
        Log.UdpForwardFailed(_logger, Key, listener.LocalEndPoint, exception);

    private void MarkIfUnreachable(UdpSession session, Exception exception)
    {
        if (exception is SocketException { SocketErrorCode: var error } && IsUnreachable(error))
        {
            MarkUnreachable(session, error);
        }
    }

    private void MarkUnreachable(UdpSession session, SocketError error)
    {
        // The closed session stays in the table so the client's next datagram avoids this endpoint.
        if (CloseSession(session, UdpCloseReason.Unreachable))
        {
            Log.UdpEndpointUnreachable(_logger, Key, session.Endpoint, session.Client, error);
        }
    }

    private static bool IsUnreachable(SocketError error) =>
        error is SocketError.ConnectionRefused or SocketError.ConnectionReset
            or SocketError.HostUnreachable or SocketError.NetworkUnreachable;
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;

namespace ServiceProxy.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(200, LogLevel.Information, "UDP {Service} listening on {EndPoint}")]
    public static partial void UdpListening(ILogger logger, ServicePortKey service, IPEndPoint endPoint);

    [LoggerMessage(201, LogLevel.Error, "UDP {Service} cannot listen on {EndPoint}: {SocketError}")]
    public static partial void UdpBindFailed(ILogger logger, ServicePortKey service, IPEndPoint endPoint, SocketError socketError, Exception exception);

    [LoggerMessage(202, LogLevel.Warning, "UDP {Service} has no ready endpoint; {Dropped} datagram(s) dropped since the last report")]
    public static partial void UdpNoEndpoints(ILogger logger, ServicePortKey service, long dropped);

    [LoggerMessage(203, LogLevel.Debug, "UDP {Service} session {Client} -> {Endpoint} opened")]
    public static partial void UdpSessionOpened(ILogger logger, ServicePortKey service, IPEndPoint client, IPEndPoint endpoint);

    [LoggerMessage(204, LogLevel.Information,
        "UDP session closed: client={Client} service={Service} endpoint={Endpoint} datagramsToEndpoint={DatagramsToEndpoint} bytesToEndpoint={BytesToEndpoint} datagramsToClient={DatagramsToClient} bytesToClient={BytesToClient} durationMs={DurationMs} reason={Reason}")]
    public static partial void UdpSessionAccess(
        ILogger logger,
        IPEndPoint client,
        ServicePortKey service,
        IPEndPoint endpoint,
        long datagramsToEndpoint,
        long bytesToEndpoint,
        long datagramsToClient,
        long bytesToClient,
        long durationMs,
        string reason);

    [LoggerMessage(205, LogLevel.Information, "UDP {Service} endpoint {Endpoint} is unreachable from the proxy ({SocketError}); client {Client} will be sent elsewhere")]
    public static partial void UdpEndpointUnreachable(ILogger logger, ServicePortKey service, IPEndPoint endpoint, IPEndPoint client, SocketError socketError);

    [LoggerMessage(206, LogLevel.Warning, "UDP {Service} receive error on {EndPoint}: {SocketError}; still listening")]
    public static partial void UdpReceiveError(ILogger logger, ServicePortKey service, IPEndPoint endPoint, SocketError socketError);

    [LoggerMessage(207, LogLevel.Debug, "UDP {Service} send to {Target} failed: {SocketError}")]
    public static partial void UdpSendFailed(ILogger logger, ServicePortKey service, IPEndPoint target, SocketError socketError);

    [LoggerMessage(208, LogLevel.Warning, "UDP {Service} session {Client} -> {Endpoint} failed")]
    public static partial void UdpSessionFailed(ILogger logger, ServicePortKey service, IPEndPoint client, IPEndPoint endpoint, Exception exception);

    [LoggerMessage(209, LogLevel.Debug, "UDP {Service} dropped a datagram of at least {Size} bytes that may have been truncated")]
    public static partial void UdpDatagramTooLarge(ILogger logger, ServicePortKey service, int size);

    [LoggerMessage(210, LogLevel.Error, "UDP {Service} unexpected error forwarding a datagram on {EndPoint}; still listening")]
    public static partial void UdpForwardFailed(ILogger logger, ServicePortKey service, IPEndPoint endPoint, Exception exception);

    [LoggerMessage(211, LogLevel.Information, "UDP {Service} stopped; {Sessions} session(s) closed")]
    public static partial void UdpStopped(ILogger logger, ServicePortKey service, int sessions);

    [LoggerMessage(212, LogLevel.Warning,
        "UDP {Service} dropped a new flow from {Client}: the {Limit} limit is reached (UDP sessions at most {MaxSessions}); open sessions keep working ({Suppressed} similar since the last report)")]
    public static partial void UdpSessionRefused(ILogger logger, ServicePortKey service, IPEndPoint client, string limit, long maxSessions, long suppressed);
}

using System.Net;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;
using ServiceProxy.Tcp;

namespace ServiceProxy.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "{ServicePort} listening on {EndPoint}")]
    public static partial void TcpListening(ILogger logger, ServicePortKey servicePort, IPEndPoint endPoint);

    [LoggerMessage(101, LogLevel.Error, "{ServicePort} cannot listen on {EndPoint}: {Reason}")]
    public static partial void TcpBindFailed(ILogger logger, ServicePortKey servicePort, IPEndPoint endPoint, string reason);

    [LoggerMessage(102, LogLevel.Warning, "{ServicePort} accept on {EndPoint} failed: {Reason} ({Suppressed} similar since the last report)")]
    public static partial void TcpAcceptFailed(ILogger logger, ServicePortKey servicePort, EndPoint? endPoint, string reason, long suppressed);

    [LoggerMessage(103, LogLevel.Debug, "{ServicePort} connect to {Endpoint} failed (attempt {Attempt}, timeout {Timeout}): {Reason}")]
    public static partial void TcpConnectAttemptFailed(ILogger logger, ServicePortKey servicePort, IPEndPoint endpoint, int attempt, TimeSpan timeout, string reason);

    [LoggerMessage(104, LogLevel.Warning, "{ServicePort} reset connection from {Client}: {Reason} ({Suppressed} similar since the last report)")]
    public static partial void TcpConnectionRejected(ILogger logger, ServicePortKey servicePort, IPEndPoint client, string reason, long suppressed);

    [LoggerMessage(105, LogLevel.Information,
        "{ServicePort} {Client} -> {Endpoint} closed ({CloseReason}): {BytesFromClient} bytes from client, {BytesToClient} bytes to client, {DurationMs} ms")]
    public static partial void TcpAccess(ILogger logger, ServicePortKey servicePort, IPEndPoint client, IPEndPoint endpoint,
        TcpCloseReason closeReason, long bytesFromClient, long bytesToClient, long durationMs);

    [LoggerMessage(106, LogLevel.Debug, "{ServicePort} connection from {Client} failed unexpectedly")]
    public static partial void TcpConnectionFailed(ILogger logger, ServicePortKey servicePort, EndPoint? client, Exception exception);

    [LoggerMessage(107, LogLevel.Information, "{ServicePort} stopped listening on {EndPoint}")]
    public static partial void TcpListenerStopped(ILogger logger, ServicePortKey servicePort, IPEndPoint endPoint);

    [LoggerMessage(108, LogLevel.Information, "{ServicePort} drain ended: closing {Count} remaining connections")]
    public static partial void TcpDrainClosing(ILogger logger, ServicePortKey servicePort, int count);

    [LoggerMessage(109, LogLevel.Information,
        "proxied TCP connections at most {MaxConnections} (two descriptors each; a UDP session takes one, UDP sessions at most half): descriptor limit {Limit}, {Open} open now, {Reserved} kept for the rest of the process")]
    public static partial void TcpMaxConnectionsDerived(ILogger logger, int maxConnections, long limit, int open, int reserved);

    [LoggerMessage(110, LogLevel.Information, "proxied TCP connections at most {MaxConnections} (two descriptors each; a UDP session takes one, UDP sessions at most half), as configured (the descriptor limit {Limit} fits {Fits})")]
    public static partial void TcpMaxConnectionsConfigured(ILogger logger, int maxConnections, long? limit, int fits);

    [LoggerMessage(111, LogLevel.Warning,
        "{ServicePort} reset connection from {Client}: the {Limit} limit of {MaxConnections} connections is reached ({Suppressed} similar since the last report)")]
    public static partial void TcpConnectionRefused(ILogger logger, ServicePortKey servicePort, EndPoint? client, string limit, int maxConnections, long suppressed);

    [LoggerMessage(250, LogLevel.Information,
        "{ServicePort} reset connection from {Client}: the address is outside the listener's allowed sources ({Suppressed} similar since the last report)")]
    public static partial void TcpSourceRefused(ILogger logger, ServicePortKey servicePort, EndPoint? client, long suppressed);

    [LoggerMessage(112, LogLevel.Warning,
        "{ServicePort} endpoint {Endpoint} ejected for {Duration} after {Failures} failed connects in a row (ejection {Ejections} in a row)")]
    public static partial void EndpointEjected(ILogger logger, ServicePortKey servicePort, IPEndPoint endpoint, int failures, TimeSpan duration, int ejections);

    [LoggerMessage(113, LogLevel.Information, "{ServicePort} endpoint {Endpoint} returned to rotation")]
    public static partial void EndpointReturned(ILogger logger, ServicePortKey servicePort, IPEndPoint endpoint);

    [LoggerMessage(114, LogLevel.Warning,
        "TCP relays with splice: the kernel refused io_uring (errno {Errno}; it needs Linux 6.1, and kernel.io_uring_disabled or a seccomp profile can turn it off)")]
    public static partial void IoUringRefused(ILogger logger, int errno);
}

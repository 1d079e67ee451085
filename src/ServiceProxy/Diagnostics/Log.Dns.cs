using System.Net;
using Microsoft.Extensions.Logging;

namespace ServiceProxy.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(600, LogLevel.Information, "DNS for {Zone} listening on {EndPoint} (UDP and TCP); forwarding {Forwarding}")]
    public static partial void DnsListening(ILogger logger, string zone, IPEndPoint endPoint, string forwarding);

    [LoggerMessage(601, LogLevel.Warning, "DNS: no upstream server (none given and none in {ResolvConf}); names outside {Zone} are refused")]
    public static partial void DnsNoUpstream(ILogger logger, string resolvConf, string zone);

    [LoggerMessage(602, LogLevel.Warning, "DNS: {Dropped} forwarded quer(y/ies) got no answer from upstream within the timeout and were answered SERVFAIL since the last report")]
    public static partial void DnsForwardTimeouts(ILogger logger, long dropped);

    [LoggerMessage(603, LogLevel.Warning, "DNS: {Refused} quer(y/ies) could not be forwarded (in-flight table full) and were answered SERVFAIL since the last report")]
    public static partial void DnsForwardTableFull(ILogger logger, long refused);

    [LoggerMessage(604, LogLevel.Error, "DNS: the UDP receive loop failed")]
    public static partial void DnsUdpLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(605, LogLevel.Debug, "DNS: TCP connection from {Client} ended: {Reason}")]
    public static partial void DnsTcpClosed(ILogger logger, EndPoint? client, string reason);

    [LoggerMessage(606, LogLevel.Warning, "DNS: upstream {Upstream} is this server's own address; skipped")]
    public static partial void DnsUpstreamIsSelf(ILogger logger, IPEndPoint upstream);
}

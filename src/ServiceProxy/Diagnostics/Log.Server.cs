using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;

namespace ServiceProxy.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Service proxy starting")]
    public static partial void ServerStarting(ILogger logger);

    [LoggerMessage(2, LogLevel.Information,
        "Applied config version {Version}: {Added} added, {Removed} removed, {Updated} updated, {Restarted} restarted, {Unchanged} unchanged")]
    public static partial void ConfigApplied(ILogger logger, long version, int added, int removed, int updated, int restarted, int unchanged);

    [LoggerMessage(3, LogLevel.Error, "Applying config version {Version} failed; the previous ports keep running")]
    public static partial void ConfigApplyFailed(ILogger logger, long version, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "Reading the proxy config failed; the previous ports keep running")]
    public static partial void ConfigReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "{ServicePort}: no data plane for protocol {Protocol}; the port is not served")]
    public static partial void NoHandlerForProtocol(ILogger logger, ServicePortKey servicePort, TransportProtocol protocol);

    [LoggerMessage(6, LogLevel.Warning, "{ServicePort} appears more than once in config version {Version}; the last one is used")]
    public static partial void DuplicateServicePort(ILogger logger, ServicePortKey servicePort, long version);

    [LoggerMessage(7, LogLevel.Information, "Service proxy stopping: draining up to {DrainTimeout}")]
    public static partial void ServerStopping(ILogger logger, TimeSpan drainTimeout);

    [LoggerMessage(8, LogLevel.Information, "Service proxy stopped")]
    public static partial void ServerStopped(ILogger logger);

    [LoggerMessage(9, LogLevel.Debug, "Affinity sweep removed {Count} expired entries")]
    public static partial void AffinitySwept(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Error, "{ServicePort} failed to stop cleanly")]
    public static partial void PortStopFailed(ILogger logger, ServicePortKey servicePort, Exception exception);
}

using Microsoft.Extensions.Logging;

namespace ServiceProxy.Diagnostics;

/// <summary>Local routes (<see cref="ServiceProxyOptions.LocalRoutes"/>): ids 240-249.</summary>
internal static partial class Log
{
    [LoggerMessage(240, LogLevel.Information, "Added local route {Network} dev lo; removed again on exit")]
    public static partial void LocalRouteAdded(ILogger logger, string network);

    [LoggerMessage(241, LogLevel.Information, "Local route {Network} dev lo is already there; left in place on exit")]
    public static partial void LocalRoutePresent(ILogger logger, string network);

    [LoggerMessage(242, LogLevel.Warning, "Cannot add local route {Network} dev lo: {Reason}. Addresses of {Network} that are not on an interface cannot be bound until it exists: {Command}")]
    public static partial void LocalRouteFailed(ILogger logger, string network, string reason, string command);

    [LoggerMessage(243, LogLevel.Information, "Removed local route {Network} dev lo")]
    public static partial void LocalRouteRemoved(ILogger logger, string network);

    [LoggerMessage(244, LogLevel.Warning, "Cannot remove local route {Network} dev lo: {Reason}; remove it with: {Command}")]
    public static partial void LocalRouteRemoveFailed(ILogger logger, string network, string reason, string command);
}

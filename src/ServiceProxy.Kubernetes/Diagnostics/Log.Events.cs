using Microsoft.Extensions.Logging;

namespace ServiceProxy.Kubernetes.Diagnostics;

/// <summary>Event recorder: event ids 380–399.</summary>
internal static partial class Log
{
    [LoggerMessage(380, LogLevel.Warning, "Event recorder queue full: {Dropped} events dropped so far (last: {Reason} on {Kind} {Key})")]
    public static partial void EventsDropped(ILogger logger, long dropped, string reason, string kind, string key);

    [LoggerMessage(381, LogLevel.Error, "Event {Reason} could not be recorded")]
    public static partial void EventRecordFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(382, LogLevel.Error, "Service events could not be derived from the registry's changes")]
    public static partial void ServiceEventsFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Logging;

namespace ServiceProxy.Kubernetes.Diagnostics;

/// <summary>Readiness prober: event ids 340–349.</summary>
internal static partial class Log
{
    [LoggerMessage(340, LogLevel.Information, "Pod {Key} container {Container}: readiness {Ready} ({Message})")]
    public static partial void ReadinessChanged(ILogger logger, string key, string container, bool ready, string message);

    [LoggerMessage(341, LogLevel.Warning, "Pod {Key}: readiness status could not be written")]
    public static partial void ReadinessWriteFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(342, LogLevel.Error, "The readiness prober's scheduler failed")]
    public static partial void ProberFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Diagnostics;

/// <summary>Registry, endpoints controller and snapshot builder: event ids 300–399.</summary>
internal static partial class Log
{
    [LoggerMessage(300, LogLevel.Debug, "{Type} {Kind} {Key} at resourceVersion {ResourceVersion}")]
    public static partial void ObjectWritten(ILogger logger, WatchEventType type, string kind, string key, string? resourceVersion);

    [LoggerMessage(301, LogLevel.Warning, "Forcing watch of {Kind} in namespace {Namespace} closed due to unresponsiveness: {Events} events of {Bytes} bytes buffered (limits {MaxEvents} events, {MaxBytes} bytes); dropped them and ended it with 410 Gone after resourceVersion {ResourceVersion}")]
    public static partial void WatcherTooSlow(ILogger logger, string kind, string @namespace, int events, long bytes, int maxEvents, long maxBytes, long resourceVersion);

    [LoggerMessage(302, LogLevel.Error, "A registry change callback failed")]
    public static partial void ChangeCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(303, LogLevel.Debug, "Endpoints {Key}: {Action} ({Ready} ready, {NotReady} not ready)")]
    public static partial void EndpointsReconciled(ILogger logger, string key, string action, int ready, int notReady);

    [LoggerMessage(304, LogLevel.Warning, "Endpoints {Key} could not be written")]
    public static partial void EndpointsWriteFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(305, LogLevel.Warning, "Registry history no longer covers resourceVersion {ResourceVersion}; {Consumer} resyncs everything")]
    public static partial void ConsumerResync(ILogger logger, string consumer, long resourceVersion);

    [LoggerMessage(306, LogLevel.Warning, "Service {Key}: ignoring annotation serviceproxy.io/udp-idle-timeout \"{Value}\": not a positive Go duration such as 5s, 500ms or 1m30s")]
    public static partial void InvalidUdpIdleTimeout(ILogger logger, string key, string value);

    [LoggerMessage(312, LogLevel.Warning, "Service {Key}: ignoring annotation serviceproxy.io/proxy-protocol \"{Value}\": use v1, v2 or none")]
    public static partial void InvalidProxyProtocol(ILogger logger, string key, string value);

    [LoggerMessage(313, LogLevel.Warning, "Service {Key}: ignoring annotation serviceproxy.io/max-connections \"{Value}\": not a whole number from 1 to 2147483647")]
    public static partial void InvalidMaxConnections(ILogger logger, string key, string value);

    [LoggerMessage(490, LogLevel.Warning, "Service {Key}: ignoring loadBalancerSourceRanges: not a list of CIDRs; the load-balancer addresses accept every client")]
    public static partial void InvalidSourceRanges(ILogger logger, string key);

    [LoggerMessage(491, LogLevel.Information, "Health check node port {Port} serves Service {Service}")]
    public static partial void HealthCheckServing(ILogger logger, int port, string service);

    [LoggerMessage(492, LogLevel.Warning, "Health check node port {EndPoint} of Service {Service} cannot listen: {Error}")]
    public static partial void HealthCheckBindFailed(ILogger logger, System.Net.IPEndPoint endPoint, string service, string error);

    [LoggerMessage(340, LogLevel.Warning, "Service {Key}: ignoring annotation {Annotation} \"{Value}\": {Reason}; the default applies")]
    public static partial void InvalidOutlierAnnotation(ILogger logger, string key, string annotation, string value, string reason);

    [LoggerMessage(307, LogLevel.Warning, "Service {Key}: ignoring {Field} \"{Value}\": not an IP address")]
    public static partial void InvalidServiceAddress(ILogger logger, string key, string field, string value);

    [LoggerMessage(308, LogLevel.Information, "Proxy snapshot {Version}: {Ports} service ports")]
    public static partial void SnapshotPublished(ILogger logger, long version, int ports);

    [LoggerMessage(309, LogLevel.Error, "{Consumer} failed to process registry changes")]
    public static partial void ConsumerFailed(ILogger logger, string consumer, Exception exception);

    [LoggerMessage(330, LogLevel.Error, "{Kind} {Key} not written: the durable store failed: {Reason}")]
    public static partial void PersistFailed(ILogger logger, string kind, string key, string reason);
}

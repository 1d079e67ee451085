using Microsoft.Extensions.Logging;

namespace ServiceProxy.Kubernetes.Diagnostics;

/// <summary>Nodes, their heartbeats, the node lifecycle controller and leader election: event ids 450–479.</summary>
internal static partial class Log
{
    [LoggerMessage(450, LogLevel.Information, "Node {Node} registered ({Addresses}; roles {Roles})")]
    public static partial void NodeRegistered(ILogger logger, string node, string addresses, string roles);

    [LoggerMessage(451, LogLevel.Warning, "Node {Node}: heartbeat not written; retrying in {Interval}")]
    public static partial void HeartbeatFailed(ILogger logger, string node, TimeSpan interval, Exception exception);

    [LoggerMessage(452, LogLevel.Warning, "Node {Node}: no heartbeat for {Silence} (grace period {Grace}); Ready is now Unknown")]
    public static partial void NodeNotReady(ILogger logger, string node, TimeSpan silence, TimeSpan grace);

    [LoggerMessage(453, LogLevel.Information, "Node {Node} is Ready")]
    public static partial void NodeReady(ILogger logger, string node);

    [LoggerMessage(454, LogLevel.Warning, "Node lifecycle controller: node {Node} not updated; retrying")]
    public static partial void NodeLifecycleFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(460, LogLevel.Information, "Leader election: {Identity} campaigns for {Key} (lease duration {LeaseDuration})")]
    public static partial void Campaigning(ILogger logger, string identity, string key, TimeSpan leaseDuration);

    [LoggerMessage(461, LogLevel.Information, "Leader election: {Identity} became leader of {Key}; the controllers run here")]
    public static partial void BecameLeader(ILogger logger, string identity, string key);

    [LoggerMessage(462, LogLevel.Warning, "Leader election: {Identity} lost leadership after {Silence} without renewal; the controllers stop here")]
    public static partial void LostLeadership(ILogger logger, string identity, TimeSpan silence);

    [LoggerMessage(463, LogLevel.Warning, "Leader election: renewal by {Identity} failed: {Reason}")]
    public static partial void RenewFailed(ILogger logger, string identity, string reason);

    [LoggerMessage(464, LogLevel.Warning, "Leader election on {Key} failed; retrying")]
    public static partial void ElectionFailed(ILogger logger, string key, Exception exception);
}

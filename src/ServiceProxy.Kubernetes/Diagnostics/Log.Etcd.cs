using Microsoft.Extensions.Logging;

namespace ServiceProxy.Kubernetes.Diagnostics;

/// <summary>The registry kept in etcd (cluster mode): event ids 420–449.</summary>
internal static partial class Log
{
    [LoggerMessage(420, LogLevel.Information, "etcd: listed {Count} objects at revision {Revision}")]
    public static partial void EtcdListed(ILogger logger, int count, long revision);

    [LoggerMessage(421, LogLevel.Information, "etcd: watching from revision {Revision}; the registry follows every commit")]
    public static partial void EtcdWatching(ILogger logger, long revision);

    [LoggerMessage(422, LogLevel.Warning, "etcd unreachable or without a leader ({Reason}); serving the last state, writes fail until it is back")]
    public static partial void EtcdUnavailable(ILogger logger, string reason);

    [LoggerMessage(423, LogLevel.Warning, "etcd compacted past revision {Revision} (compact revision {CompactRevision}); relisting, watchers get 410 Gone")]
    public static partial void EtcdCompacted(ILogger logger, long revision, long compactRevision);

    [LoggerMessage(424, LogLevel.Warning, "etcd: {Kind} {Key} not written: {Reason}")]
    public static partial void EtcdWriteFailed(ILogger logger, string kind, string key, string reason);

    [LoggerMessage(425, LogLevel.Warning, "etcd: ignoring {Key}: its value is not an object's JSON ({Reason})")]
    public static partial void EtcdValueUnreadable(ILogger logger, string key, string reason);

    [LoggerMessage(426, LogLevel.Information, "etcd: allocation ranges rebuilt from the stored Services at revision {Revision}")]
    public static partial void EtcdRangesRepaired(ILogger logger, long revision);

    [LoggerMessage(427, LogLevel.Warning, "etcd: Events not shared with the other nodes for now ({Reason}); {Dropped} dropped so far")]
    public static partial void EtcdEventsNotShared(ILogger logger, string reason, long dropped);

    [LoggerMessage(428, LogLevel.Information, "etcd: following the cluster's Events under {Prefix} ({Count} from other nodes at revision {Revision})")]
    public static partial void EtcdEventsFollowing(ILogger logger, string prefix, int count, long revision);
}

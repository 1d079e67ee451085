using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// The recorded Events, read as kube-apiserver serves them: each expires a time after it was last
/// recorded (<see cref="EventOptions.Ttl"/>), the oldest go first past <see cref="EventOptions.MaxEvents"/>,
/// and every change (ADDED, MODIFIED for a repeat, DELETED at expiry) can be watched. Resource
/// versions are the event store's own.
/// </summary>
public interface IEventStore
{
    /// <summary>The resourceVersion of the latest change.</summary>
    long ResourceVersion { get; }

    /// <summary>Events dropped because the recorder's queue was full.</summary>
    long Dropped { get; }

    /// <summary>The Events of one namespace (null or empty: all), sorted by namespace then name.</summary>
    ObjectList<Event> List(string? @namespace = null);

    /// <summary>One Event, or null.</summary>
    Event? Get(string @namespace, string name);

    /// <summary>
    /// Changes after <paramref name="fromResourceVersion"/> (0: from now) in one namespace (null: all);
    /// throws <see cref="StoreErrorReason.Gone"/> when that version is older than the history kept, or
    /// ends that way when the watcher falls too far behind.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string? @namespace, long fromResourceVersion, CancellationToken cancellationToken);
}

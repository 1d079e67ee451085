namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Durable storage behind <see cref="InMemoryObjectStore"/>, called inside the store's commit:
/// after validation and allocation, before the write is published to readers and watchers. When it
/// throws, the store undoes the allocations and changes nothing, so memory, disk and the caller's
/// answer agree.
/// </summary>
public interface IObjectPersistence
{
    /// <summary>
    /// Every resourceVersion the store issues is above this. A persistence that outlives the
    /// process keeps it above every version issued before, so no version is ever issued twice and a
    /// client resuming a watch from the earlier run gets 410 Gone and relists, as from kube-apiserver.
    /// </summary>
    long ResourceVersionFloor { get; }

    /// <summary>
    /// Makes the durable copy of <paramref name="kind"/> <paramref name="key"/> go from
    /// <paramref name="previous"/> to <paramref name="next"/> (null: absent), a write that takes
    /// <paramref name="resourceVersion"/> (the current version for a change of owner alone). Returns
    /// only once the change, and a store of versions up to <paramref name="resourceVersion"/>, is
    /// durable; on failure it leaves <paramref name="previous"/> in place as far as it can and throws.
    /// </summary>
    void Persist(string kind, (string Namespace, string Name) key, StoredObject? previous, StoredObject? next, long resourceVersion);
}

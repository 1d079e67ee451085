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
    /// Makes the durable copy of <paramref name="kind"/> <paramref name="key"/> go from
    /// <paramref name="previous"/> to <paramref name="next"/> (null: absent). Returns only once the
    /// change is durable; on failure it leaves <paramref name="previous"/> in place as far as it can and throws.
    /// </summary>
    void Persist(string kind, (string Namespace, string Name) key, StoredObject? previous, StoredObject? next);
}

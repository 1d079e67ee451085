using System.Collections.Immutable;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using Table = System.Collections.Immutable.ImmutableSortedDictionary<(string Namespace, string Name), ServiceProxy.Kubernetes.Registry.StoredObject>;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Mirror mode, for a store that commits elsewhere (etcd) and serves reads, watches and change
/// notifications from this one, as kube-apiserver's watch cache does: writes committed there are
/// applied here at the resourceVersion they were committed at, without defaulting, validation or
/// allocation (they had them where they were made).
/// </summary>
internal sealed partial class InMemoryObjectStore
{
    /// <summary>The stored entry of kind <paramref name="kind"/> at <paramref name="key"/>, or null.</summary>
    internal StoredObject? GetEntry(string kind, (string Namespace, string Name) key) => Find(Volatile.Read(ref _state), kind, key);

    /// <summary>
    /// Applies one committed write at <paramref name="resourceVersion"/>; one at or below the current
    /// version is already here and is ignored. <paramref name="obj"/> carries its resourceVersion.
    /// </summary>
    internal void ApplyCommitted(StoredObject? entry, WatchEventType type, KubeObject obj, long resourceVersion)
    {
        CancellationTokenSource changed;
        lock (_gate)
        {
            if (resourceVersion <= _state.ResourceVersion)
            {
                return;
            }

            changed = CommitAt(obj.Kind, KeyOf(obj), entry, type, obj, resourceVersion);
        }

        NotifyChanged(changed);
    }

    /// <summary>
    /// Applies one change followed from another API (<see cref="IObjectMirror"/>) at this store's next
    /// resourceVersion, which the object is stamped with; an object equal to the stored one (but for
    /// its resourceVersion) changes nothing. Returns whether the store changed.
    /// </summary>
    internal bool ApplyFollowed(KubeObject obj, bool delete)
    {
        var key = KeyOf(obj);
        obj = WithNamespace(obj);
        CancellationTokenSource changed;
        WatchEventType written;
        lock (_gate)
        {
            var existing = Find(_state, obj.Kind, key);
            if (delete ? existing is null
                : existing is not null && ObjectWrites.SameContent(obj with { Metadata = obj.Metadata with { ResourceVersion = existing.Object.Metadata.ResourceVersion } }, existing.Object, includeMetadataAndStatus: true))
            {
                return false;
            }

            var resourceVersion = _state.ResourceVersion + 1;
            obj = obj with { Metadata = obj.Metadata with { ResourceVersion = Format(resourceVersion) } };
            var type = delete ? WatchEventType.Deleted : existing is null ? WatchEventType.Added : WatchEventType.Modified;
            changed = CommitAt(obj.Kind, key, delete ? null : new StoredObject(obj, null), type, obj, resourceVersion);
            written = type;
        }

        Log.ObjectWritten(_logger, written, obj.Kind, obj.Key, obj.Metadata.ResourceVersion);
        NotifyChanged(changed);
        return true;
    }

    /// <summary>
    /// Replaces everything with <paramref name="entries"/> as of <paramref name="resourceVersion"/>
    /// (a relist). The history restarts there: watchers end with Gone and consumers resync, as
    /// clients of a reinitialised watch cache relist.
    /// </summary>
    internal void ResetCommitted(IEnumerable<StoredObject> entries, long resourceVersion)
    {
        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var kind = entry.Object.Kind;
            var table = tables.TryGetValue(kind, out var existing) ? existing : ImmutableSortedDictionary.Create<(string Namespace, string Name), StoredObject>(ObjectKeyComparer.Instance);
            tables[kind] = table.SetItem(KeyOf(entry.Object), entry);
        }

        CancellationTokenSource changed;
        lock (_gate)
        {
            Volatile.Write(ref _state, new State(tables.ToImmutableDictionary(StringComparer.Ordinal), resourceVersion));
            _history.Reset(resourceVersion);
            foreach (var watcher in _watchers)
            {
                watcher.End(StoreErrors.Gone(watcher.LastDelivered, resourceVersion + 1));
            }

            _watchers.Clear();
            changed = _changed;
            _changed = new CancellationTokenSource();
        }

        NotifyChanged(changed);
    }
}

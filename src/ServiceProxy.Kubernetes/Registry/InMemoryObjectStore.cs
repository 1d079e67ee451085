using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;
using Table = System.Collections.Immutable.ImmutableSortedDictionary<(string Namespace, string Name), ServiceProxy.Kubernetes.Registry.StoredObject>;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// The registry: immutable per-kind tables published atomically (reads take no lock), writes
/// serialised by one lock that covers defaulting, validation, allocation, the commit, the history
/// and the hand-off to watchers. Nothing awaits under the lock and no watcher can block a writer.
/// </summary>
internal sealed partial class InMemoryObjectStore : IObjectStore
{
    private readonly Lock _gate = new();
    private readonly IObjectValidator _validator;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ServiceAllocator _allocator;
    private readonly WatchHistory _history;
    private readonly int _watchBufferSize;
    private readonly long _watchBufferMaxBytes;
    private readonly IObjectPersistence? _persistence;
    private State _state = new(ImmutableDictionary<string, Table>.Empty, 0);
    private CancellationTokenSource _changed = new();

    public InMemoryObjectStore(RegistryOptions options, IObjectValidator validator, TimeProvider timeProvider, ILogger logger, Random? random = null, IObjectPersistence? persistence = null)
    {
        _persistence = persistence;
        _validator = validator;
        _timeProvider = timeProvider;
        _logger = logger;
        _allocator = new ServiceAllocator(options.Allocation, random);
        _history = new WatchHistory(options.WatchHistorySize, options.WatchHistoryMaxBytes);

        // Versions continue above every one an earlier run issued: a watch from those is too old (410).
        var floor = persistence?.ResourceVersionFloor ?? 0;
        _state = _state with { ResourceVersion = floor };
        _history.Reset(floor);
        _watchBufferSize = options.WatchBufferSize > 0
            ? options.WatchBufferSize
            : throw new ArgumentOutOfRangeException(nameof(options), "WatchBufferSize must be positive");
        _watchBufferMaxBytes = options.WatchBufferMaxBytes > 0
            ? options.WatchBufferMaxBytes
            : throw new ArgumentOutOfRangeException(nameof(options), "WatchBufferMaxBytes must be positive");
    }

    public long ResourceVersion => Volatile.Read(ref _state).ResourceVersion;

    internal ServiceAllocator Allocator => _allocator;

    public T? Get<T>(string @namespace, string name) where T : KubeObject =>
        Find(Volatile.Read(ref _state), ObjectKinds.Of<T>(), (NamespaceOrDefault(@namespace), name))?.Object as T;

    public ObjectList<T> List<T>(string? @namespace = null) where T : KubeObject
    {
        var state = Volatile.Read(ref _state);
        if (!state.Tables.TryGetValue(ObjectKinds.Of<T>(), out var table))
        {
            return new ObjectList<T>([], state.ResourceVersion);
        }

        var items = string.IsNullOrEmpty(@namespace)
            ? table.Values.Select(entry => (T)entry.Object)
            : table.Where(pair => pair.Key.Namespace == @namespace).Select(pair => (T)pair.Value.Object);
        return new ObjectList<T>([.. items], state.ResourceVersion);
    }

    public string? GetOwner(string kind, string @namespace, string name) =>
        Find(Volatile.Read(ref _state), kind, (NamespaceOrDefault(@namespace), name))?.Owner;

    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    // The in-memory store commits under its lock without awaiting: every write completes synchronously.
    public ValueTask<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject =>
        Complete(() => Create(obj, options), cancellationToken);

    public ValueTask<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject =>
        Complete(() => Update(obj, options), cancellationToken);

    public ValueTask<T> DeleteAsync<T>(string @namespace, string name, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject =>
        Complete(() => Delete<T>(@namespace, name, options), cancellationToken);

    private static ValueTask<T> Complete<T>(Func<T> write, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(write());
        }
        catch (Exception e) when (e is ObjectStoreException or ArgumentException)
        {
            return ValueTask.FromException<T>(e);
        }
    }

    private T Create<T>(T obj, WriteOptions? options = null) where T : KubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = ObjectKinds.Check(obj);
        obj = ObjectWrites.Defaulted(_validator, obj);
        CancellationTokenSource changed;
        lock (_gate)
        {
            var state = _state;
            obj = ObjectWrites.WithGeneratedName(obj, key => Find(state, kind, key) is not null);
            obj = PrepareService(kind, obj, null);
            ObjectWrites.ValidateCreate(_validator, kind, obj);
            var key = KeyOf(obj);
            if (Find(state, kind, key) is not null)
            {
                throw StoreErrors.AlreadyExists(kind, key.Name);
            }

            (obj, var transaction) = Allocate(kind, obj, null);
            var dryRun = options?.DryRun == true;
            obj = ObjectWrites.Created(obj, _timeProvider.GetUtcNow(), dryRun ? null : Format(state.ResourceVersion + 1));
            if (dryRun)
            {
                transaction.Rollback();
                return obj;
            }

            var entry = new StoredObject(obj, options?.Owner);
            Persist(kind, key, null, entry, transaction, state.ResourceVersion + 1);
            transaction.Commit();
            changed = Commit(kind, key, entry, WatchEventType.Added, obj);
        }

        Log.ObjectWritten(_logger, WatchEventType.Added, kind, obj.Key, obj.Metadata.ResourceVersion);
        NotifyChanged(changed);
        return obj;
    }

    private T Update<T>(T obj, WriteOptions? options = null) where T : KubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = ObjectKinds.Check(obj);
        obj = ObjectWrites.Defaulted(_validator, obj);
        CancellationTokenSource changed;
        lock (_gate)
        {
            var state = _state;
            var key = KeyOf(obj);
            var existing = Find(state, kind, key) ?? throw StoreErrors.NotFound(kind, key.Name);
            var old = existing.Object;
            obj = ObjectWrites.ForUpdate(_validator, kind, obj, old, prepared => PrepareService(kind, prepared, old));
            (obj, var transaction) = Allocate(kind, obj, old);
            obj = ObjectWrites.WithGeneration(obj, old);
            var dryRun = options?.DryRun == true;
            if (dryRun || ObjectWrites.SameContent(obj, old, includeMetadataAndStatus: true))
            {
                // A no-op update is not a write: no new resourceVersion, no event (kube-apiserver does the same).
                transaction.Rollback();
                if (!dryRun && existing.Owner != options?.Owner)
                {
                    var owned = existing with { Owner = options?.Owner };
                    Persist(kind, key, existing, owned, AllocationTransaction.Empty, state.ResourceVersion);
                    Volatile.Write(ref _state, state with { Tables = state.Tables.SetItem(kind, state.Tables[kind].SetItem(key, owned)) });
                }

                return dryRun ? obj : (T)old;
            }

            obj = obj with { Metadata = obj.Metadata with { ResourceVersion = Format(state.ResourceVersion + 1) } };
            var updated = new StoredObject(obj, options?.Owner);
            Persist(kind, key, existing, updated, transaction, state.ResourceVersion + 1);
            transaction.Commit();
            changed = Commit(kind, key, updated, WatchEventType.Modified, obj);
        }

        Log.ObjectWritten(_logger, WatchEventType.Modified, kind, obj.Key, obj.Metadata.ResourceVersion);
        NotifyChanged(changed);
        GiveFreedLoadBalancerIPs();
        return obj;
    }

    private T Delete<T>(string @namespace, string name, WriteOptions? options = null) where T : KubeObject
    {
        var kind = ObjectKinds.Of<T>();
        var key = (NamespaceOrDefault(@namespace), name);
        T deleted;
        CancellationTokenSource changed;
        lock (_gate)
        {
            var state = _state;
            var existing = Find(state, kind, key) ?? throw StoreErrors.NotFound(kind, name);
            if (options?.DryRun == true)
            {
                return (T)existing.Object;
            }

            Persist(kind, key, existing, null, AllocationTransaction.Empty, state.ResourceVersion + 1);
            if (existing.Object is Service service)
            {
                _allocator.Release(service);
            }

            deleted = (T)(existing.Object with { Metadata = existing.Object.Metadata with { ResourceVersion = Format(state.ResourceVersion + 1) } });
            changed = Commit(kind, key, null, WatchEventType.Deleted, deleted);
        }

        Log.ObjectWritten(_logger, WatchEventType.Deleted, kind, deleted.Key, deleted.Metadata.ResourceVersion);
        NotifyChanged(changed);
        GiveFreedLoadBalancerIPs();
        return deleted;
    }

    private static StoredObject? Find(State state, string kind, (string, string) key) =>
        state.Tables.TryGetValue(kind, out var table) && table.TryGetValue(key, out var entry) ? entry : null;

    private static (string Namespace, string Name) KeyOf(KubeObject obj) => ObjectWrites.KeyOf(obj);

    private static string NamespaceOrDefault(string? @namespace) => ObjectWrites.NamespaceOrDefault(@namespace);

    private static string Format(long resourceVersion) => resourceVersion.ToString(CultureInfo.InvariantCulture);

    private static T WithNamespace<T>(T obj) where T : KubeObject =>
        ObjectKinds.IsClusterScoped(obj.Kind) ? (obj.Metadata.Namespace is null ? obj : obj with { Metadata = obj.Metadata with { Namespace = null } })
        : obj.Metadata.Namespace == obj.Metadata.NamespaceOrDefault ? obj : obj with { Metadata = obj.Metadata with { Namespace = obj.Metadata.NamespaceOrDefault } };

    /// <summary>A Service's carried-over fields and IP families, as kube-apiserver sets them before it validates.</summary>
    private T PrepareService<T>(string kind, T obj, KubeObject? old) where T : KubeObject
    {
        if (obj is not Service service)
        {
            return obj;
        }

        var (prepared, errors) = _allocator.Prepare(service, old as Service);
        if (errors.Count > 0)
        {
            throw StoreErrors.Invalid(kind, service.Metadata.Name ?? string.Empty, errors);
        }

        return (T)(KubeObject)prepared;
    }

    private (T, AllocationTransaction) Allocate<T>(string kind, T obj, KubeObject? old) where T : KubeObject
    {
        if (obj is not Service service)
        {
            return (obj, AllocationTransaction.Empty);
        }

        var (allocated, errors, transaction) = _allocator.Allocate(service, old as Service);
        if (errors.Count > 0)
        {
            throw StoreErrors.Invalid(kind, service.Metadata.Name ?? string.Empty, errors);
        }

        return ((T)(KubeObject)allocated, transaction);
    }

    /// <summary>Under the write lock, before anything is published: a failure undoes the write's allocations and refuses it.</summary>
    private void Persist(string kind, (string Namespace, string Name) key, StoredObject? previous, StoredObject? next, AllocationTransaction transaction, long resourceVersion)
    {
        if (_persistence is null)
        {
            return;
        }

        try
        {
            _persistence.Persist(kind, key, previous, next, resourceVersion);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            transaction.Rollback();
            Log.PersistFailed(_logger, kind, $"{key.Namespace}/{key.Name}", e.Message);
            throw StoreErrors.StorageFailed(kind, key.Name, e.Message);
        }
    }

    /// <summary>Publishes one write: new tables and version, history, watchers. Returns the token source to fire.</summary>
    private CancellationTokenSource Commit(string kind, (string, string) key, StoredObject? entry, WatchEventType type, KubeObject obj) =>
        CommitAt(kind, key, entry, type, obj, _state.ResourceVersion + 1);

    /// <summary>Publishes one write at <paramref name="resourceVersion"/> (above the current one). Returns the token source to fire.</summary>
    private CancellationTokenSource CommitAt(string kind, (string, string) key, StoredObject? entry, WatchEventType type, KubeObject obj, long resourceVersion)
    {
        var state = _state;
        var table = state.Tables.TryGetValue(kind, out var existing) ? existing : ImmutableSortedDictionary.Create<(string Namespace, string Name), StoredObject>(ObjectKeyComparer.Instance);
        table = entry is null ? table.Remove(key) : table.SetItem(key, entry);
        Volatile.Write(ref _state, new State(state.Tables.SetItem(kind, table), resourceVersion));
        var watchEvent = new WatchEvent(type, obj, resourceVersion);
        var size = WatchHistory.SizeOf(obj);
        _history.Add(watchEvent, size);
        Dispatch(watchEvent, size);
        var changed = _changed;
        _changed = new CancellationTokenSource();
        return changed;
    }

    private void NotifyChanged(CancellationTokenSource changed)
    {
        try
        {
            changed.Cancel();
        }
        catch (AggregateException ex)
        {
            // A consumer's failure must not turn a committed write into an error for the writer.
            Log.ChangeCallbackFailed(_logger, ex);
        }
    }

    private sealed record State(ImmutableDictionary<string, Table> Tables, long ResourceVersion);
}

/// <summary>One stored object and who wrote it (<see cref="WriteOptions.Owner"/>).</summary>
public sealed record StoredObject(KubeObject Object, string? Owner);

using System.Globalization;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// The registry kept in etcd, as kube-apiserver keeps it: one key per object, its JSON as the value,
/// etcd's revision as resourceVersion. Reads, watches and change notifications are served from a
/// local cache (an <see cref="InMemoryObjectStore"/> in mirror mode) that an etcd watch keeps
/// current (EtcdObjectStore.Cache.cs). Writes are etcd transactions: a create compares
/// create_revision to 0, an update or delete compares mod_revision to the version it was based on,
/// and a Service write also compares and rewrites the allocation ranges (EtcdRanges), so that two
/// nodes never hand out one address or port. A write completes once etcd has committed it and the
/// cache has reached its revision (read-your-writes), and fails with a storage error within
/// <see cref="EtcdOptions.RequestTimeout"/> when etcd cannot commit it.
/// </summary>
internal sealed partial class EtcdObjectStore : IObjectStore, IAsyncDisposable
{
    // Nodes writing Services at once race for the range keys and each wins about its share of the races:
    // a write may lose many in a row, so the request timeout bounds it, and this only stops a runaway loop.
    private const int MaxAttempts = 100;

    private readonly EtcdOptions _options;
    private readonly IObjectValidator _validator;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly EtcdConnection _connection;
    private readonly EtcdKeys _keys;
    private readonly EtcdRanges _ranges;
    private readonly InMemoryObjectStore _cache;

    // Service writes on this node go one at a time: they all compare the range keys, so concurrent
    // ones would only fail each other's transactions (kube-apiserver's allocators lock the same way).
    private readonly SemaphoreSlim _serviceWrites = new(1, 1);

    public EtcdObjectStore(RegistryOptions registryOptions, EtcdOptions options, IObjectValidator validator, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _validator = validator;
        _timeProvider = timeProvider;
        _logger = logger;
        _connection = new EtcdConnection(options);
        _keys = new EtcdKeys(options.Prefix);
        _ranges = new EtcdRanges(registryOptions.Allocation, _keys);
        _cache = new InMemoryObjectStore(registryOptions, validator, timeProvider, logger);
    }

    public long ResourceVersion => _cache.ResourceVersion;

    public T? Get<T>(string @namespace, string name) where T : KubeObject => _cache.Get<T>(@namespace, name);

    public ObjectList<T> List<T>(string? @namespace = null) where T : KubeObject => _cache.List<T>(@namespace);

    public string? GetOwner(string kind, string @namespace, string name) => _cache.GetOwner(kind, @namespace, name);

    public IChangeToken GetChangeToken() => _cache.GetChangeToken();

    public bool TryGetEventsSince(long resourceVersion, out IReadOnlyList<WatchEvent> events) => _cache.TryGetEventsSince(resourceVersion, out events);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string? kind, string? @namespace, long fromResourceVersion, CancellationToken cancellationToken) =>
        _cache.WatchAsync(kind, @namespace, fromResourceVersion, cancellationToken);

    public async ValueTask<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = ObjectKinds.Check(obj);
        obj = ObjectWrites.Defaulted(_validator, obj);
        obj = ObjectWrites.WithGeneratedName(obj, key => _cache.GetEntry(kind, key) is not null);
        ObjectWrites.ValidateCreate(_validator, kind, obj);
        var (ns, name) = ObjectWrites.KeyOf(obj);
        if (_cache.GetEntry(kind, (ns, name)) is not null)
        {
            throw StoreErrors.AlreadyExists(kind, name);
        }

        obj = ObjectWrites.Created(obj, _timeProvider.GetUtcNow(), null);
        return await WriteAsync(kind, ns, name, obj, null, options, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        var kind = ObjectKinds.Check(obj);
        obj = ObjectWrites.Defaulted(_validator, obj);
        var (ns, name) = ObjectWrites.KeyOf(obj);
        var old = _cache.GetEntry(kind, (ns, name))?.Object ?? throw StoreErrors.NotFound(kind, name);
        var updated = ObjectWrites.ForUpdate(_validator, kind, obj, old);
        return await WriteAsync(kind, ns, name, updated, (T)old, options, cancellationToken, pinned: obj.Metadata.ResourceVersion).ConfigureAwait(false);
    }

    public async ValueTask<T> DeleteAsync<T>(string @namespace, string name, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject
    {
        var kind = ObjectKinds.Of<T>();
        var ns = ObjectWrites.NamespaceOrDefault(@namespace);
        var old = _cache.GetEntry(kind, (ns, name))?.Object ?? throw StoreErrors.NotFound(kind, name);
        return await WriteAsync<T>(kind, ns, name, null, (T)old, options, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _connection.Dispose();
        _serviceWrites.Dispose();
    }

    /// <summary>
    /// One write (next null: a delete) based on <paramref name="old"/> (null: a create), retried while
    /// only this node's view was behind (the cache, or the ranges), refused when the object changed
    /// under a pinned resourceVersion, all within the request timeout.
    /// </summary>
    private async Task<T> WriteAsync<T>(string kind, string ns, string name, T? next, T? old, WriteOptions? options, CancellationToken cancellationToken, string? pinned = null)
        where T : KubeObject
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        var isService = kind == "Service";
        T written;
        try
        {
            if (isService)
            {
                await _serviceWrites.WaitAsync(deadline.Token).ConfigureAwait(false);
            }

            try
            {
                for (var attempt = 1; ; attempt++)
                {
                    var result = await TryWriteAsync(kind, ns, name, next, old, options, deadline.Token).ConfigureAwait(false);
                    if (result.Written is not null)
                    {
                        written = (T)result.Written;
                        break;
                    }

                    if (attempt >= MaxAttempts)
                    {
                        throw StoreErrors.StorageFailed(kind, name, "too many concurrent writes; try again");
                    }

                    // The object or the ranges moved on: once the cache has caught up, base the write on the current state.
                    await WaitForRevisionAsync(result.Revision, deadline.Token).ConfigureAwait(false);
                    var current = _cache.GetEntry(kind, (ns, name))?.Object;
                    if (old is null)
                    {
                        if (current is not null)
                        {
                            throw StoreErrors.AlreadyExists(kind, name);
                        }

                        continue;
                    }

                    if (current is null)
                    {
                        throw StoreErrors.NotFound(kind, name);
                    }

                    if (!string.IsNullOrEmpty(pinned) && current.Metadata.ResourceVersion != pinned)
                    {
                        throw StoreErrors.Conflict(kind, name);
                    }

                    if (next is not null && current.Metadata.ResourceVersion != old.Metadata.ResourceVersion)
                    {
                        next = ObjectWrites.ForUpdate(_validator, kind, next with { Metadata = next.Metadata with { ResourceVersion = null } }, current);
                    }

                    old = (T)current;
                }
            }
            finally
            {
                if (isService)
                {
                    _serviceWrites.Release();
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.EtcdWriteFailed(_logger, kind, $"{ns}/{name}", "timed out");
            throw StoreErrors.StorageFailed(kind, name, $"etcd did not commit the write within {_options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.EtcdWriteFailed(_logger, kind, $"{ns}/{name}", e.Status.Detail);
            throw StoreErrors.StorageFailed(kind, name, $"etcd: {e.Status.StatusCode}: {e.Status.Detail}");
        }

        if (isService)
        {
            await GiveFreedLoadBalancerIPsAsync(cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>One transaction. Written: the committed object; otherwise the revision to catch up to before trying again.</summary>
    private async Task<(KubeObject? Written, long Revision)> TryWriteAsync<T>(string kind, string ns, string name, T? next, T? old, WriteOptions? options, CancellationToken cancellationToken)
        where T : KubeObject
    {
        var key = _keys.Object(kind, ns, name);
        var txn = new TxnRequest();
        txn.Compare.Add(old is null
            ? new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 }
            : new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = Revision(old) });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key, KeysOnly = true } });

        PreparedRanges? ranges = null;
        if (next is Service || old is Service)
        {
            ranges = await _ranges.PrepareAsync(this, next as Service, old as Service, cancellationToken).ConfigureAwait(false);
            next = (T?)(KubeObject?)ranges.Allocated;
            txn.Compare.Add(ranges.Compares);
            txn.Success.Add(ranges.Puts);

            // A lost compare reads the ranges back, so that the retry replays without a read of its own.
            txn.Failure.Add(_ranges.ReadOps());
        }

        if (next is not null && old is not null)
        {
            next = ObjectWrites.WithGeneration(next, old);
            if (options?.DryRun != true && ObjectWrites.SameContent(next, old, includeMetadataAndStatus: true) && GetOwner(kind, ns, name) == options?.Owner)
            {
                // A no-op update is not a write: no new resourceVersion, no event (kube-apiserver does the same).
                return (old, 0);
            }
        }

        if (options?.DryRun == true)
        {
            return (next ?? old, 0);
        }

        // The owner first: the watch applies a revision's events in order, so the object arrives with its owner known.
        var ownerKey = _keys.Owner(kind, ns, name);
        txn.Success.Insert(0, next is not null && options?.Owner is { } owner
            ? new RequestOp { RequestPut = new PutRequest { Key = ownerKey, Value = ByteString.CopyFromUtf8(owner) } }
            : new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ownerKey } });
        txn.Success.Insert(1, next is not null
            ? new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(Serialize(next)) } }
            : new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } });

        var response = await _connection.KV.TxnAsync(txn, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var revision = response.Header.Revision;
        if (!response.Succeeded)
        {
            if (ranges is not null)
            {
                _ranges.Failed(EtcdRanges.Observed(response, 1));
            }

            return (null, revision);
        }

        if (ranges is not null)
        {
            _ranges.Committed(ranges, revision);
            if (ranges.FreedLoadBalancerIP)
            {
                _freedLoadBalancerIP = true;
            }
        }

        await WaitForRevisionAsync(revision, cancellationToken).ConfigureAwait(false);
        var written = (next ?? old)!;
        written = written with { Metadata = written.Metadata with { ResourceVersion = revision.ToString(CultureInfo.InvariantCulture) } };
        Log.ObjectWritten(_logger, next is null ? WatchEventType.Deleted : old is null ? WatchEventType.Added : WatchEventType.Modified, kind, written.Key, written.Metadata.ResourceVersion);
        return (written, revision);
    }

    private DateTime Deadline() => DateTime.UtcNow + _options.RequestTimeout;

    private static long Revision(KubeObject obj) =>
        long.TryParse(obj.Metadata.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    /// <summary>The value kept in etcd: the object's JSON without its resourceVersion, which is etcd's mod_revision.</summary>
    private static byte[] Serialize(KubeObject obj) =>
        JsonSerializer.SerializeToUtf8Bytes(obj with { Metadata = obj.Metadata with { ResourceVersion = null } }, obj.GetType(), KubeJson.Options);
}

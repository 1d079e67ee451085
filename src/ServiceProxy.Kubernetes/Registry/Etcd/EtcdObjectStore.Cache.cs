using System.Text.Json;
using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// The local cache, kept as kube-apiserver's watch cache is: one range read of the whole prefix at
/// one revision, then one etcd watch from the revision after it, each committed event applied in
/// order. A broken stream (a member down, or without a leader: the watch requires one) resumes
/// from the last applied revision; a compacted one relists, and watchers of the cache end with Gone.
/// Meanwhile the cache keeps serving the last state it had.
/// </summary>
internal sealed partial class EtcdObjectStore
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _waitersGate = new();
    private readonly List<(long Revision, TaskCompletionSource Reached)> _waiters = [];

    // Touched by the sync loop only.
    private readonly Dictionary<(string Kind, string Namespace, string Name), string> _owners = [];
    private Task _sync = Task.CompletedTask;
    private long _revision;
    private bool _needsList = true;
    private volatile bool _available;

    /// <summary>True while the watch on etcd is established: the cache follows every commit.</summary>
    public bool IsAvailable => _available;

    /// <summary>Loads the cache (when etcd answers in time), repairs the ranges, then follows etcd until stopped.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.RequestTimeout);
            await ListAsync(deadline.Token).ConfigureAwait(false);
            _freedLoadBalancerIP = await _ranges.RepairAsync(this, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Not reachable now: the loop lists as soon as it is, and the node reports not ready until then.
            Log.EtcdUnavailable(_logger, e.Message);
        }

        _sync = Task.Run(() => SyncLoopAsync(_stopping.Token), CancellationToken.None);
        await GiveFreedLoadBalancerIPsAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _sync.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Completes once the cache has applied every commit up to <paramref name="revision"/>.</summary>
    internal Task WaitForRevisionAsync(long revision, CancellationToken cancellationToken)
    {
        TaskCompletionSource reached;
        lock (_waitersGate)
        {
            if (_revision >= revision)
            {
                return Task.CompletedTask;
            }

            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((revision, reached));
        }

        return reached.Task.WaitAsync(cancellationToken);
    }

    internal InMemoryObjectStore Cache => _cache;

    internal ILogger Logger => _logger;

    internal Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        _connection.KV.TxnAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync;

    private async Task SyncLoopAsync(CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (_needsList)
                {
                    await ListAsync(stopping).ConfigureAwait(false);
                }

                await FollowAsync(stopping).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Whatever broke the stream, the cache keeps its last state and the loop reconnects.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (_available)
                {
                    Log.EtcdUnavailable(_logger, e.Message);
                }

                _available = false;
                await Task.Delay(delay, _timeProvider, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
            }
        }

        _available = false;
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var response = await _connection.KV.RangeAsync(
            new RangeRequest { Key = _keys.Prefix, RangeEnd = _keys.PrefixEnd },
            deadline: Deadline(),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        _owners.Clear();
        var objects = new List<(string Kind, KeyValue Kv)>();
        foreach (var kv in response.Kvs)
        {
            var (kind, isOwner, ns, name) = _keys.Parse(kv.Key);
            if (kind is null)
            {
                continue;
            }

            if (isOwner)
            {
                _owners[(kind, ns, name)] = kv.Value.ToStringUtf8();
            }
            else
            {
                objects.Add((kind, kv));
            }
        }

        var entries = new List<StoredObject>(objects.Count);
        foreach (var (kind, kv) in objects)
        {
            if (Decode(kind, kv) is { } obj)
            {
                entries.Add(new StoredObject(obj, _owners.GetValueOrDefault((kind, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name!))));
            }
        }

        var revision = response.Header.Revision;
        _cache.ResetCommitted(entries, revision);
        _needsList = false;
        Log.EtcdListed(_logger, entries.Count, revision);
        Reached(revision, reset: true);
    }

    /// <summary>Applies the watch's events until the stream ends; returns when it must be resumed or relisted.</summary>
    private async Task FollowAsync(CancellationToken stopping)
    {
        // hasleader: a member that loses its leader ends the stream, rather than leaving it silent.
        using var call = _connection.Watch.Watch(new Metadata { { "hasleader", "true" } }, cancellationToken: stopping);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest
            {
                Key = _keys.Prefix,
                RangeEnd = _keys.PrefixEnd,
                StartRevision = _revision + 1,
                PrevKv = true,
                ProgressNotify = true,
            },
        }, stopping).ConfigureAwait(false);

        while (await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.CompactRevision != 0)
            {
                // What the cache is missing is gone from etcd: only a new list can catch up.
                Log.EtcdCompacted(_logger, _revision, response.CompactRevision);
                _needsList = true;
                return;
            }

            if (response.Canceled)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "watch canceled: " + response.CancelReason));
            }

            if (response.Created && !_available)
            {
                _available = true;
                Log.EtcdWatching(_logger, _revision + 1);
            }

            var last = _revision;
            foreach (var etcdEvent in response.Events)
            {
                Apply(etcdEvent);
                last = Math.Max(last, etcdEvent.Kv.ModRevision);
            }

            // A response without events (created, progress) tells that nothing below its revision is pending.
            Reached(response.Events.Count == 0 ? Math.Max(last, response.Header.Revision) : last, reset: false);
        }
    }

    private void Apply(Event etcdEvent)
    {
        var (kind, isOwner, ns, name) = _keys.Parse(etcdEvent.Kv.Key);
        if (kind is null)
        {
            return;
        }

        var revision = etcdEvent.Kv.ModRevision;
        if (isOwner)
        {
            if (etcdEvent.Type == Event.Types.EventType.Put)
            {
                _owners[(kind, ns, name)] = etcdEvent.Kv.Value.ToStringUtf8();
            }
            else
            {
                _owners.Remove((kind, ns, name));
            }

            return;
        }

        if (etcdEvent.Type == Event.Types.EventType.Put)
        {
            if (Decode(kind, etcdEvent.Kv) is { } obj)
            {
                var type = etcdEvent.Kv.CreateRevision == etcdEvent.Kv.ModRevision ? WatchEventType.Added : WatchEventType.Modified;
                _cache.ApplyCommitted(new StoredObject(obj, _owners.GetValueOrDefault((kind, ns, name))), type, obj, revision);
            }

            return;
        }

        var last = etcdEvent.PrevKv is { } previous ? Decode(kind, previous) : _cache.GetEntry(kind, (ns, name))?.Object;
        if (last is not null)
        {
            var deleted = last with { Metadata = last.Metadata with { ResourceVersion = revision.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            _cache.ApplyCommitted(null, WatchEventType.Deleted, deleted, revision);
        }
    }

    private KubeObject? Decode(string kind, KeyValue kv)
    {
        try
        {
            var obj = (KubeObject?)JsonSerializer.Deserialize(kv.Value.Span, KubeJson.TypeOfKind(kind)!, KubeJson.Options);
            return obj is null || obj.Kind != kind
                ? null
                : obj with { Metadata = obj.Metadata with { ResourceVersion = kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        }
        catch (JsonException e)
        {
            Log.EtcdValueUnreadable(_logger, kv.Key.ToStringUtf8(), e.Message);
            return null;
        }
    }

    /// <summary>Records that every commit up to <paramref name="revision"/> is applied, and releases the writes waiting for it.</summary>
    private void Reached(long revision, bool reset)
    {
        List<TaskCompletionSource>? done = null;
        lock (_waitersGate)
        {
            _revision = reset ? revision : Math.Max(_revision, revision);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Revision <= _revision || _waiters[i].Reached.Task.IsCompleted)
                {
                    (done ??= []).Add(_waiters[i].Reached);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var reached in done ?? [])
        {
            reached.TrySetResult();
        }
    }
}

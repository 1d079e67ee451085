using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Keeps the Endpoints of every Service with a selector equal to its matching Pods (Kubernetes'
/// endpoints controller). Services without a selector are left alone, so user-written Endpoints
/// stay. Endpoints are written only when they differ, and deleted with their Service when this
/// controller wrote them. Changed keys are queued as the store reports writes and reconciled by one
/// loop that starts on the reporting thread and runs until the queue is empty; with a store whose
/// writes complete synchronously and one writer, Endpoints have converged when the write returns;
/// <see cref="SyncAsync"/> catches up after concurrent writers or a store that commits asynchronously.
/// </summary>
public sealed class EndpointsController : IDisposable
{
    /// <summary>The <see cref="WriteOptions.Owner"/> of the Endpoints this controller writes.</summary>
    public const string OwnerName = "serviceproxy.io/endpoints-controller";

    private const string HeadlessLabel = "service.kubernetes.io/headless";

    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly StoreChangeFeed _feed;
    private readonly WriteOptions _writeOptions = new() { Owner = OwnerName };
    private readonly Lock _queueGate = new();
    private readonly HashSet<(string Namespace, string Name)> _queued = [];
    private TaskCompletionSource? _reconciling;
    private bool _disposed;

    /// <summary>A controller for <paramref name="store"/>; it does nothing until <see cref="Start"/>.</summary>
    public EndpointsController(IObjectStore store, ILogger<EndpointsController>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _feed = new StoreChangeFeed(store, nameof(EndpointsController), OnEvents, ReconcileAll, _logger);
    }

    /// <summary>Reconciles every Service now, then follows every write to the store.</summary>
    public void Start() => _feed.Start();

    /// <summary>
    /// Stops following the store (this process lost leadership); Endpoints already written stay.
    /// <see cref="Start"/> again reconciles every Service and follows the store anew.
    /// </summary>
    public void Stop() => _feed.Stop();

    /// <summary>Processes every write made so far; completes once Endpoints have converged.</summary>
    public async Task SyncAsync()
    {
        _feed.Sync();
        while (true)
        {
            Task running;
            lock (_queueGate)
            {
                if (_reconciling is null)
                {
                    return;
                }

                running = _reconciling.Task;
            }

            await running.ConfigureAwait(false);
        }
    }

    /// <summary>Stops following the store; Endpoints already written stay.</summary>
    public void Dispose()
    {
        _feed.Dispose();
        lock (_queueGate)
        {
            _disposed = true;
            _queued.Clear();
        }
    }

    private void ReconcileAll()
    {
        var keys = new HashSet<(string Namespace, string Name)>();
        foreach (var service in _store.List<Service>().Items)
        {
            keys.Add((service.Metadata.NamespaceOrDefault, service.Metadata.Name!));
        }

        // Endpoints this controller wrote for a Service deleted while it was not following.
        foreach (var endpoints in _store.List<Endpoints>().Items)
        {
            keys.Add((endpoints.Metadata.NamespaceOrDefault, endpoints.Metadata.Name!));
        }

        Enqueue(keys);
    }

    private void OnEvents(IReadOnlyList<WatchEvent> events)
    {
        var keys = new HashSet<(string Namespace, string Name)>();
        foreach (var watchEvent in events)
        {
            var obj = watchEvent.Object;
            switch (obj)
            {
                case Service or Endpoints:
                    keys.Add((obj.Metadata.NamespaceOrDefault, obj.Metadata.Name!));
                    break;
                case Pod pod:
                    AddServicesOf(pod, keys);
                    break;
            }
        }

        Enqueue(keys);
    }

    /// <summary>Queues keys; starts the reconcile loop on this thread unless one is running (it takes them).</summary>
    private void Enqueue(HashSet<(string Namespace, string Name)> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        lock (_queueGate)
        {
            if (_disposed)
            {
                return;
            }

            _queued.UnionWith(keys);
            if (_reconciling is not null)
            {
                return;
            }

            _reconciling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _ = ReconcileQueuedAsync();
    }

    private async Task ReconcileQueuedAsync()
    {
        while (true)
        {
            (string Namespace, string Name)[] batch;
            TaskCompletionSource? done = null;
            lock (_queueGate)
            {
                if (_queued.Count == 0)
                {
                    (done, _reconciling) = (_reconciling, null);
                }

                batch = [.. _queued];
                _queued.Clear();
            }

            if (done is not null)
            {
                done.TrySetResult();
                return;
            }

            foreach (var (ns, name) in batch)
            {
                try
                {
                    await ReconcileAsync(ns, name).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // One key's failure must not stop the loop; the key's next write queues it again.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.EndpointsWriteFailed(_logger, $"{ns}/{name}", ex);
                }
            }
        }
    }

    /// <summary>Services the pod matches now, or whose Endpoints list it (it was relabelled or deleted).</summary>
    private void AddServicesOf(Pod pod, HashSet<(string, string)> keys)
    {
        var ns = pod.Metadata.NamespaceOrDefault;
        foreach (var service in _store.List<Service>(ns).Items)
        {
            if (!EndpointsBuilder.HasSelector(service))
            {
                continue;
            }

            if (EndpointsBuilder.Selects(service, pod) || References(_store.Get<Endpoints>(ns, service.Metadata.Name!), pod))
            {
                keys.Add((ns, service.Metadata.Name!));
            }
        }
    }

    private static bool References(Endpoints? endpoints, Pod pod) =>
        endpoints?.Subsets?.Any(s => (s.Addresses ?? []).Concat(s.NotReadyAddresses ?? []).Any(a => a.TargetRef?.Name == pod.Metadata.Name)) == true;

    private async ValueTask ReconcileAsync(string ns, string name)
    {
        var key = $"{ns}/{name}";
        try
        {
            var service = _store.Get<Service>(ns, name);
            var existing = _store.Get<Endpoints>(ns, name);
            if (service is null)
            {
                if (existing is not null && _store.GetOwner("Endpoints", ns, name) == OwnerName)
                {
                    await _store.DeleteAsync<Endpoints>(ns, name).ConfigureAwait(false);
                    Log.EndpointsReconciled(_logger, key, "deleted", 0, 0);
                }

                return;
            }

            if (!EndpointsBuilder.HasSelector(service))
            {
                return;
            }

            var desired = new Endpoints
            {
                Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = Labels(service) },
                Subsets = EndpointsBuilder.Subsets(service, _store.List<Pod>(ns).Items),
            };
            if (existing is null)
            {
                await _store.CreateAsync(desired, _writeOptions).ConfigureAwait(false);
            }
            else if (!SameContent(existing, desired) || _store.GetOwner("Endpoints", ns, name) != OwnerName)
            {
                await _store.UpdateAsync(existing with { Metadata = existing.Metadata with { Labels = desired.Metadata.Labels }, Subsets = desired.Subsets }, _writeOptions).ConfigureAwait(false);
            }
            else
            {
                return;
            }

            Log.EndpointsReconciled(
                _logger,
                key,
                existing is null ? "created" : "updated",
                desired.Subsets.Sum(s => s.Addresses?.Count ?? 0),
                desired.Subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0));
        }
        catch (ObjectStoreException ex) when (ex.Reason is StoreErrorReason.Conflict or StoreErrorReason.NotFound or StoreErrorReason.AlreadyExists)
        {
            // Someone else wrote in between; their write is an event this controller processes next.
            Log.EndpointsWriteFailed(_logger, key, ex);
        }
        catch (ObjectStoreException ex) when (ex.Reason is StoreErrorReason.Invalid)
        {
            Log.EndpointsWriteFailed(_logger, key, ex);
        }
    }

    /// <summary>The Service's labels, plus Kubernetes' headless marker.</summary>
    private static Dictionary<string, string>? Labels(Service service)
    {
        var labels = service.Metadata.Labels?.ToDictionary(StringComparer.Ordinal) ?? [];
        if (service.Spec.ClusterIP == "None")
        {
            labels[HeadlessLabel] = string.Empty;
        }

        return labels.Count > 0 ? labels : null;
    }

    private static bool SameContent(Endpoints existing, Endpoints desired) =>
        Json(existing.Subsets ?? []) == Json(desired.Subsets ?? [])
        && Json(existing.Metadata.Labels?.OrderBy(l => l.Key, StringComparer.Ordinal)) == Json(desired.Metadata.Labels?.OrderBy(l => l.Key, StringComparer.Ordinal));

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, KubeJson.Options);
}

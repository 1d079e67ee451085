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
/// controller wrote them. Changes are processed on the writer's thread right after each write:
/// with one writer, Endpoints have converged when the write returns; <see cref="Sync"/> catches up
/// after concurrent writers.
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

    /// <summary>Processes every write made so far; returns once Endpoints have converged.</summary>
    public void Sync() => _feed.Sync();

    /// <summary>Stops following the store; Endpoints already written stay.</summary>
    public void Dispose() => _feed.Dispose();

    private void ReconcileAll()
    {
        foreach (var service in _store.List<Service>().Items)
        {
            Reconcile(service.Metadata.NamespaceOrDefault, service.Metadata.Name!);
        }

        // Endpoints this controller wrote for a Service deleted while it was not following.
        foreach (var endpoints in _store.List<Endpoints>().Items)
        {
            Reconcile(endpoints.Metadata.NamespaceOrDefault, endpoints.Metadata.Name!);
        }
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

        foreach (var (ns, name) in keys)
        {
            Reconcile(ns, name);
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

    private void Reconcile(string ns, string name)
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
                    _store.Delete<Endpoints>(ns, name);
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
                _store.Create(desired, _writeOptions);
            }
            else if (!SameContent(existing, desired) || _store.GetOwner("Endpoints", ns, name) != OwnerName)
            {
                _store.Update(existing with { Metadata = existing.Metadata with { Labels = desired.Metadata.Labels }, Subsets = desired.Subsets }, _writeOptions);
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

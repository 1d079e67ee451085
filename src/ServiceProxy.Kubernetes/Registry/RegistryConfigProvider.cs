using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Feeds the data plane from the registry: one <see cref="ServicePortConfig"/> per port of each
/// proxied Service (listening on its cluster IP, node ports, external and load-balancer IPs;
/// sending to the ready addresses of its Endpoints). Only the Services touched by a write are
/// recomputed; a new snapshot, whose version is the store's resourceVersion, is published and the
/// old one's change token fired only when some service port actually changed. With
/// <see cref="RegistryOptions.ProxyShard"/>, only the Services of that shard are proxied. Each snapshot says
/// which ports changed since the one before (<see cref="ProxyConfig.Changes"/>), so the data plane's
/// work per write follows the ports the write changed, not the number of Services.
/// </summary>
public sealed class RegistryConfigProvider : IProxyConfigProvider, IDisposable
{
    /// <summary>Annotation with a per-service UDP idle timeout as a Go duration (<c>30s</c>, <c>2m</c>).</summary>
    public const string UdpIdleTimeoutAnnotation = ServicePortConfigBuilder.UdpIdleTimeoutAnnotation;

    /// <summary>Annotation <c>serviceproxy.io/proxy-protocol: v1|v2</c>: TCP backends get a PROXY protocol header with the client's address.</summary>
    public const string ProxyProtocolAnnotation = ServicePortConfigBuilder.ProxyProtocolAnnotation;

    /// <summary>Annotation <c>serviceproxy.io/max-connections: N</c>: each TCP port of the Service carries at most N connections at once.</summary>
    public const string MaxConnectionsAnnotation = ServicePortConfigBuilder.MaxConnectionsAnnotation;

    /// <summary>
    /// Annotation <c>serviceproxy.io/outlier-consecutive-failures: N</c> (0–1000, default 5): N failed connects
    /// in a row take an endpoint of a TCP port out of rotation for a while; 0 turns passive health off.
    /// </summary>
    public const string OutlierConsecutiveFailuresAnnotation = ServicePortConfigBuilder.OutlierConsecutiveFailuresAnnotation;

    /// <summary>
    /// Annotation <c>serviceproxy.io/outlier-base-ejection-seconds: N</c> (1–3600, default 30): a first ejection
    /// lasts N seconds, each further one in a row N more, at most 300 (or N when longer).
    /// </summary>
    public const string OutlierBaseEjectionSecondsAnnotation = ServicePortConfigBuilder.OutlierBaseEjectionSecondsAnnotation;

    /// <summary>
    /// Annotation <c>serviceproxy.io/outlier-max-ejection-percent: N</c> (0–100, default 50): at most N % of a
    /// port's endpoints are out of rotation at once.
    /// </summary>
    public const string OutlierMaxEjectionPercentAnnotation = ServicePortConfigBuilder.OutlierMaxEjectionPercentAnnotation;

    private readonly IObjectStore _store;
    private readonly IReadOnlyList<IPAddress> _nodeAddresses;
    private readonly ImmutableArray<IPNetwork> _inClusterSources;
    private readonly string? _nodeName;
    private readonly ProxyShard _shard;
    private readonly ILogger _logger;
    private readonly StoreChangeFeed _feed;
    // Immutable underneath: each snapshot keeps the version it was published with, O(1) to take, and
    // flattens it into Ports only if a consumer asks (one that applies Changes never does).
    private readonly ImmutableSortedDictionary<(string Namespace, string Name), ImmutableArray<ServicePortConfig>>.Builder _byService =
        ImmutableSortedDictionary.CreateBuilder<(string Namespace, string Name), ImmutableArray<ServicePortConfig>>(ObjectKeyComparer.Instance);
    private ProxyConfig _config;
    private CancellationTokenSource _changed = new();
    private readonly ConcurrentQueue<CancellationTokenSource> _toFire = new();
    private bool _dirty;
    private int _portCount;

    // What changed since the published snapshot, newest state per key (null: removed); null after a
    // rebuild, whose snapshot carries no changes (the data plane diffs it in full).
    private Dictionary<ServicePortKey, ServicePortConfig?>? _pending = [];

    /// <summary>Builds the first snapshot now and follows every write to the store.</summary>
    public RegistryConfigProvider(IObjectStore store, RegistryOptions options, ILogger<RegistryConfigProvider>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _nodeAddresses = [.. options.NodeAddresses];
        _inClusterSources = ClusterCidrs.InClusterSources(ClusterCidrs.Parse(options.ClusterCidr), _nodeAddresses);
        _nodeName = options.Node.Name;
        _shard = ProxyShard.Parse(options.ProxyShard);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _config = new ProxyConfig(0, [], new CancellationChangeToken(_changed.Token));
        _feed = new StoreChangeFeed(store, nameof(RegistryConfigProvider), OnEvents, RebuildAll, _logger, FireChanged);
        _feed.Start();
    }

    /// <inheritdoc/>
    public ProxyConfig GetConfig() => Volatile.Read(ref _config);

    /// <summary>Processes every write made so far; returns once the snapshot reflects them.</summary>
    public void Sync() => _feed.Sync();

    /// <summary>Stops following the store; the last snapshot's change token never fires.</summary>
    public void Dispose() => _feed.Dispose();

    private void RebuildAll()
    {
        _byService.Clear();
        _portCount = 0;
        _pending = null;
        foreach (var service in _store.List<Service>().Items)
        {
            Recompute((service.Metadata.NamespaceOrDefault, service.Metadata.Name!));
        }

        _dirty = true;
        Publish();
    }

    private void OnEvents(IReadOnlyList<WatchEvent> events)
    {
        foreach (var watchEvent in events)
        {
            if (watchEvent.Object is Service or Endpoints)
            {
                Recompute((watchEvent.Object.Metadata.NamespaceOrDefault, watchEvent.Object.Metadata.Name!));
            }
        }

        Publish();
    }

    private void Recompute((string Namespace, string Name) key)
    {
        var service = _shard.Owns(key.Namespace, key.Name) ? _store.Get<Service>(key.Namespace, key.Name) : null;
        var ports = service is null
            ? []
            : ServicePortConfigBuilder.Build(service, _store.Get<Endpoints>(key.Namespace, key.Name), _nodeAddresses, _logger, _nodeName, _inClusterSources);
        var old = _byService.GetValueOrDefault(key, []);
        if (old.SequenceEqual(ports))
        {
            return;
        }

        if (ports.IsEmpty)
        {
            _byService.Remove(key);
        }
        else
        {
            _byService[key] = ports;
        }

        _portCount += ports.Length - old.Length;
        _dirty = true;
        if (_pending is not null)
        {
            foreach (var port in ports)
            {
                _pending[port.Key] = port;
            }

            foreach (var port in old)
            {
                if (!ports.Any(p => p.Key == port.Key))
                {
                    _pending[port.Key] = null;
                }
            }
        }
    }

    /// <summary>Under the feed's lock: swaps in a new snapshot; its predecessor's token fires once the lock is released.</summary>
    private void Publish()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        var services = _byService.ToImmutable();
        var count = _portCount;

        var changes = _pending is null
            ? null
            : new ProxyConfigChanges(
                _config.Version,
                [.. _pending.Values.OfType<ServicePortConfig>()],
                [.. _pending.Where(p => p.Value is null).Select(p => p.Key)],
                _config.Changes);
        _pending = [];
        var changed = new CancellationTokenSource();
        var previous = _changed;
        _changed = changed;
        Volatile.Write(ref _config, new ProxyConfig(_feed.ProcessedResourceVersion, () => Flatten(services, count), new CancellationChangeToken(changed.Token), changes));
        _toFire.Enqueue(previous);
        Log.SnapshotPublished(_logger, _feed.ProcessedResourceVersion, _portCount);
    }

    private static ImmutableArray<ServicePortConfig> Flatten(
        ImmutableSortedDictionary<(string Namespace, string Name), ImmutableArray<ServicePortConfig>> services, int count)
    {
        var ports = ImmutableArray.CreateBuilder<ServicePortConfig>(count);
        foreach (var servicePorts in services.Values)
        {
            ports.AddRange(servicePorts);
        }

        return ports.MoveToImmutable();
    }

    private void FireChanged()
    {
        // Every superseded snapshot's token fires, in order, outside the lock: a consumer may have read any of them.
        while (_toFire.TryDequeue(out var superseded))
        {
            try
            {
                superseded.Cancel();
            }
            catch (AggregateException ex)
            {
                Log.ConsumerFailed(_logger, "A proxy config change callback", ex);
            }
        }
    }
}

using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.HealthChecks;

/// <summary>
/// Serves each LoadBalancer Service's <c>healthCheckNodePort</c> (externalTrafficPolicy Local) on
/// this node's addresses, as kube-proxy's health-check server does for cloud load balancers: 200
/// while the Service has ready endpoints whose <c>nodeName</c> is this node, 503 otherwise. Follows
/// the store like the data plane's config (<see cref="StoreChangeFeed"/>), so a port opens, changes
/// its answer and closes with the Service and its Endpoints.
/// </summary>
internal sealed class HealthCheckServer : IHostedService, IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly string? _nodeName;
    private readonly ProxyShard _shard;
    private readonly IReadOnlyList<IPAddress> _addresses;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Namespace, string Name), HealthCheckListener> _byService = [];
    private readonly List<HealthCheckListener> _closing = [];
    private StoreChangeFeed? _feed;

    public HealthCheckServer(IObjectStore store, RegistryOptions options, ILogger<HealthCheckServer>? logger = null)
    {
        _store = store;
        _nodeName = options.Node.Name;
        _shard = ProxyShard.Parse(options.ProxyShard);
        _addresses = [.. options.NodeAddresses];
        _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The ports served now, by Service (tests look at them).</summary>
    internal IReadOnlyDictionary<(string Namespace, string Name), HealthCheckListener> Listeners
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<(string, string), HealthCheckListener>(_byService);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _feed = new StoreChangeFeed(_store, nameof(HealthCheckServer), OnEvents, RebuildAll, _logger);
        _feed.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _feed?.Dispose();
        List<HealthCheckListener> all;
        lock (_gate)
        {
            all = [.. _byService.Values, .. _closing];
            _byService.Clear();
            _closing.Clear();
        }

        foreach (var listener in all)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    /// <summary>Ready endpoint addresses on <paramref name="nodeName"/>, each IP once (kube-proxy counts endpoints, not ports).</summary>
    internal static int CountLocal(Endpoints? endpoints, string? nodeName) =>
        string.IsNullOrEmpty(nodeName)
            ? 0
            : (endpoints?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Where(a => a.NodeName == nodeName).Select(a => a.Ip).Distinct().Count();

    private void RebuildAll()
    {
        var keys = _store.List<Service>().Items.Select(s => (s.Metadata.NamespaceOrDefault, s.Metadata.Name!)).ToHashSet();
        lock (_gate)
        {
            keys.UnionWith(_byService.Keys);
        }

        foreach (var key in keys)
        {
            Recompute(key);
        }

        CloseRetired();
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

        CloseRetired();
    }

    private void Recompute((string Namespace, string Name) key)
    {
        // The shard that proxies a Service answers for its health, so one process binds its port.
        var service = _shard.Owns(key.Namespace, key.Name) ? _store.Get<Service>(key.Namespace, key.Name) : null;
        var port = service is not null && ServiceAllocator.NeedsHealthCheck(service.Spec) ? service.Spec.HealthCheckNodePort : 0;
        lock (_gate)
        {
            _byService.TryGetValue(key, out var current);
            if (port == 0)
            {
                if (current is not null)
                {
                    _byService.Remove(key);
                    _closing.Add(current);
                }

                return;
            }

            var state = new HealthCheckState(key.Namespace, key.Name, CountLocal(_store.Get<Endpoints>(key.Namespace, key.Name), _nodeName));
            if (current is not null && current.Port == port)
            {
                current.State = state;
                return;
            }

            if (current is not null)
            {
                _byService.Remove(key);
                _closing.Add(current);
            }

            // Bound here, on the writer's thread: a bind is one non-blocking system call per address.
            _byService[key] = new HealthCheckListener(port, _addresses, state, _logger);
            Log.HealthCheckServing(_logger, port, key.Namespace + "/" + key.Name);
        }
    }

    /// <summary>Closes the retired ports off the writer's thread: their accept loops and open answers end on their own.</summary>
    private void CloseRetired()
    {
        List<HealthCheckListener> closing;
        lock (_gate)
        {
            if (_closing.Count == 0)
            {
                return;
            }

            closing = [.. _closing];
            _closing.Clear();
        }

        _ = Task.Run(async () =>
        {
            foreach (var listener in closing)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }
        });
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Dns;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Dns;

/// <summary>
/// Keeps a <see cref="DnsZone"/> equal to the cluster DNS records of the registry's Services,
/// Endpoints and Pods (<see cref="ClusterDnsOptions"/>). Each write recomputes only the Service or
/// Pod it touches and commits before the write returns, so a new Service resolves as soon as it is
/// stored. The zone also holds <c>dns-version.zone TXT "1.1.0"</c> and its name server,
/// <c>zone NS ns.dns.zone</c>.
/// </summary>
public sealed class ClusterDnsRecords : IDisposable
{
    private const string VersionSource = "dns-version";

    private readonly IObjectStore _store;
    private readonly ClusterDnsOptions _options;
    private readonly StoreChangeFeed _feed;
    private readonly HashSet<string> _sources = new(StringComparer.Ordinal);

    /// <summary>Builds the zone from the store now and follows every write to it.</summary>
    /// <exception cref="ArgumentException">The cluster domain is not a valid DNS name, or the TTL is out of range.</exception>
    public ClusterDnsRecords(IObjectStore store, ClusterDnsOptions options, ILogger<ClusterDnsRecords>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        Zone = new DnsZone(options.ClusterDomain, TimeSpan.FromSeconds(options.Ttl));
        Zone.SetRecords(VersionSource, [ClusterDnsRecordBuilder.Version(Zone.Origin), .. ClusterDnsRecordBuilder.NameServer(Zone.Origin, options.NameServers)]);
        _feed = new StoreChangeFeed(store, nameof(ClusterDnsRecords), OnEvents, RebuildAll, logger ?? (ILogger)NullLogger.Instance);
        _feed.Start();
    }

    /// <summary>The zone the records are kept in, for a <see cref="DnsServer"/>.</summary>
    public DnsZone Zone { get; }

    /// <summary>Processes every write made so far; returns once the zone reflects them.</summary>
    public void Sync() => _feed.Sync();

    /// <summary>Stops following the store; the zone keeps its last records.</summary>
    public void Dispose() => _feed.Dispose();

    private void OnEvents(IReadOnlyList<WatchEvent> events)
    {
        foreach (var watchEvent in events)
        {
            var meta = watchEvent.Object.Metadata;
            switch (watchEvent.Object)
            {
                case Service or Endpoints:
                    RecomputeService(meta.NamespaceOrDefault, meta.Name!);
                    break;
                case Pod:
                    RecomputePod(meta.NamespaceOrDefault, meta.Name!);
                    break;
            }
        }

        Zone.Commit();
    }

    private void RebuildAll()
    {
        var stale = new HashSet<string>(_sources, StringComparer.Ordinal);
        foreach (var service in _store.List<Service>().Items)
        {
            stale.Remove(RecomputeService(service.Metadata.NamespaceOrDefault, service.Metadata.Name!));
        }

        foreach (var pod in _options.PodRecords ? _store.List<Pod>().Items : [])
        {
            stale.Remove(RecomputePod(pod.Metadata.NamespaceOrDefault, pod.Metadata.Name!));
        }

        foreach (var source in stale)
        {
            Set(source, []);
        }

        Zone.Commit();
    }

    private string RecomputeService(string ns, string name)
    {
        var source = $"svc/{ns}/{name}";
        var service = _store.Get<Service>(ns, name);
        Set(source, service is null ? [] : ClusterDnsRecordBuilder.ForService(service, _store.Get<Endpoints>(ns, name), Zone.Origin));
        return source;
    }

    private string RecomputePod(string ns, string name)
    {
        var source = $"pod/{ns}/{name}";
        var pod = _options.PodRecords ? _store.Get<Pod>(ns, name) : null;
        Set(source, pod is null ? [] : ClusterDnsRecordBuilder.ForPod(pod, Zone.Origin));
        return source;
    }

    private void Set(string source, IReadOnlyList<DnsRecord> records)
    {
        Zone.SetRecords(source, records);
        if (records.Count == 0)
        {
            _sources.Remove(source);
        }
        else
        {
            _sources.Add(source);
        }
    }
}

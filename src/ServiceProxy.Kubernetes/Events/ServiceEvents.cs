using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// Events for what the store's allocations give a Service, read from the store's changes (what a
/// write allocated shows in the object it stored): Normal <c>ClusterIPAllocated</c> and
/// <c>NodePortAllocated</c>, and for svcproxy's own LoadBalancer Services MetalLB's Normal
/// <c>IPAllocated</c> ("Assigned IP [...]"), Warning <c>AllocationFailed</c> while none can be given,
/// and Normal <c>IPReleased</c> when the address goes back to the pool. What the store holds when
/// this starts is taken as known: a restart repeats nothing.
/// </summary>
internal sealed class ServiceEvents : IHostedService, IDisposable
{
    private readonly IEventRecorder _recorder;
    private readonly IObjectStore _store;
    private readonly StoreChangeFeed _feed;
    private readonly Dictionary<string, Allocated> _known = new(StringComparer.Ordinal);

    public ServiceEvents(IObjectStore store, IEventRecorder recorder, ILogger? logger = null)
    {
        _store = store;
        _recorder = recorder;
        _feed = new StoreChangeFeed(store, nameof(ServiceEvents), OnEvents, Resync, logger ?? NullLogger.Instance);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _feed.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _feed.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _feed.Dispose();

    private void Resync()
    {
        _known.Clear();
        foreach (var service in _store.List<Service>().Items)
        {
            _known[service.Key] = Allocated.Of(service);
        }
    }

    private void OnEvents(IReadOnlyList<WatchEvent> events)
    {
        foreach (var change in events)
        {
            if (change.Object is not Service service)
            {
                continue;
            }

            var before = _known.GetValueOrDefault(service.Key) ?? Allocated.None;
            var after = change.Type == WatchEventType.Deleted ? Allocated.None : Allocated.Of(service);
            if (change.Type == WatchEventType.Deleted)
            {
                _known.Remove(service.Key);
            }
            else
            {
                _known[service.Key] = after;
            }

            Report(service, before, after);
        }
    }

    private void Report(Service service, Allocated before, Allocated after)
    {
        var reference = ObjectReference.To(service);
        if (after.ClusterIPs.Length > 0 && !after.ClusterIPs.SequenceEqual(before.ClusterIPs))
        {
            Record(reference, Event.Normal, "ClusterIPAllocated", $"Allocated cluster IP {string.Join(", ", after.ClusterIPs)}");
        }

        var newPorts = after.NodePorts.Except(before.NodePorts).ToList();
        if (newPorts.Count > 0)
        {
            Record(reference, Event.Normal, "NodePortAllocated", $"Allocated node port {string.Join(", ", newPorts)}");
        }

        var assigned = after.LoadBalancerIPs.Except(before.LoadBalancerIPs).ToList();
        if (assigned.Count > 0)
        {
            Record(reference, Event.Normal, "IPAllocated", $"Assigned IP {Quoted(assigned)}");
        }

        var released = before.LoadBalancerIPs.Except(after.LoadBalancerIPs).ToList();
        if (released.Count > 0)
        {
            Record(reference, Event.Normal, "IPReleased", $"Released IP {Quoted(released)}");
        }

        if (after.Pending && !before.Pending)
        {
            var requested = service.Spec.LoadBalancerIP is { Length: > 0 } ip ? $" {ip}" : string.Empty;
            Record(reference, Event.Warning, "AllocationFailed", $"Failed to allocate IP{requested} for \"{service.Key}\": no available IPs in the load-balancer pool");
        }
    }

    private void Record(ObjectReference reference, string type, string reason, string message) =>
        _recorder.Record(reference, EventComponents.Allocator, type, reason, message);

    private static string Quoted(IEnumerable<string> addresses) => "[" + string.Join(' ', addresses.Select(a => $"\"{a}\"")) + "]";

    /// <summary>What the store gave one Service: cluster IPs, node ports and (own LoadBalancers only) addresses.</summary>
    private sealed record Allocated(string[] ClusterIPs, string[] NodePorts, string[] LoadBalancerIPs, bool Pending)
    {
        public static Allocated None { get; } = new([], [], [], false);

        public static Allocated Of(Service service)
        {
            var spec = service.Spec;
            string[] clusterIPs = spec.ClusterIP is { Length: > 0 } ip && ip != "None"
                ? spec.ClusterIPs is { Count: > 0 } all ? [.. all] : [ip]
                : [];
            string[] nodePorts = [.. (spec.Ports ?? []).Where(p => p.NodePort > 0)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.NodePort}/{p.Protocol ?? Protocols.Tcp}"))];
            var own = ServiceAllocator.IsOwnLoadBalancer(service);
            string[] addresses = own ? [.. (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip).OfType<string>()] : [];
            return new Allocated(clusterIPs, nodePorts, addresses, own && addresses.Length == 0);
        }
    }
}

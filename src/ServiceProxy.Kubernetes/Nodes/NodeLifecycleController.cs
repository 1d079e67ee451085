using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Nodes;

/// <summary>
/// kube-controller-manager's node lifecycle controller, for the Ready condition: every
/// <see cref="NodeOptions.MonitorPeriod"/> it reads each Node's Lease, and a Node whose Lease has not
/// changed for <see cref="NodeOptions.MonitorGracePeriod"/> gets <c>Ready=Unknown</c> (NotReady).
/// Silence is measured on this controller's clock from when it saw the Lease change, never by
/// comparing another node's renew time with this clock, so skew between nodes cannot mark a live
/// node NotReady; a controller that starts (or becomes leader) gives every Node a full grace
/// period. The Node's own heartbeat sets Ready back to True. Each Node it marks gets a
/// <c>NodeNotReady</c> Event, worded as kube-controller-manager's.
/// </summary>
internal sealed class NodeLifecycleController
{
    private const string UnknownReason = "NodeStatusUnknown";
    private const string UnknownMessage = "Kubelet stopped posting node status.";
    private const string NeverReason = "NodeStatusNeverUpdated";
    private const string NeverMessage = "Kubelet never posted node status.";

    private readonly IObjectStore _store;
    private readonly NodeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IEventRecorder? _recorder;
    private readonly Dictionary<string, (string? Marker, DateTimeOffset ObservedAt)> _observed = new(StringComparer.Ordinal);

    public NodeLifecycleController(IObjectStore store, NodeOptions options, TimeProvider? timeProvider, ILogger? logger, IEventRecorder? recorder = null)
    {
        _recorder = recorder;
        _store = store;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Checks every Node once, from <see cref="NodeOptions.MonitorPeriod"/> to period, until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _observed.Clear();
        using var timer = new PeriodicTimer(_options.MonitorPeriod, _time);
        do
        {
            await MonitorAsync(cancellationToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>One pass over the Nodes: records Lease changes and marks the silent ones Unknown.</summary>
    public async Task MonitorAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var nodes = _store.List<Node>().Items;
        foreach (var gone in _observed.Keys.Except(nodes.Select(n => n.Metadata.Name!), StringComparer.Ordinal).ToList())
        {
            _observed.Remove(gone);
        }

        foreach (var node in nodes)
        {
            var name = node.Metadata.Name!;
            var lease = _store.Get<Lease>(Lease.NodeLeaseNamespace, name);
            var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == NodeConditionTypes.Ready);

            // The Lease's renew time, or for a node without one, its Ready heartbeat.
            var marker = lease?.Spec?.RenewTime?.ToString("O") ?? lease?.Metadata.ResourceVersion ?? ready?.LastHeartbeatTime?.ToString("O");
            if (!_observed.TryGetValue(name, out var seen) || seen.Marker != marker)
            {
                _observed[name] = seen = (marker, now);
            }

            var silence = now - seen.ObservedAt;
            if (silence <= _options.MonitorGracePeriod || ready?.Status == "Unknown")
            {
                continue;
            }

            var updated = ready is null
                ? NodeConditions.WithReady(node, "Unknown", NeverReason, NeverMessage, now, heartbeat: null)
                : NodeConditions.WithReady(node, "Unknown", UnknownReason, UnknownMessage, now, heartbeat: null);
            try
            {
                var written = await _store.UpdateAsync(updated, cancellationToken: cancellationToken).ConfigureAwait(false);
                Log.NodeNotReady(_logger, name, silence, _options.MonitorGracePeriod);
                _recorder?.Record(ObjectReference.To(written), EventComponents.NodeController, Event.Normal, "NodeNotReady", $"Node {name} status is now: NodeNotReady");
            }
            catch (ObjectStoreException e)
            {
                // A Node written meanwhile (its heartbeat, most likely) is checked again next period.
                Log.NodeLifecycleFailed(_logger, name, e);
            }
        }
    }
}

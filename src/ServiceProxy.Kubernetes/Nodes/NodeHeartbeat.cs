using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Nodes;

/// <summary>
/// The kubelet's part for this process's Node: registers it (role labels, addresses, system
/// information, <c>Ready=True</c>), renews its Lease in <c>kube-node-lease</c> every
/// <see cref="NodeOptions.LeaseRenewInterval"/>, and sets Ready back to True when the lifecycle
/// controller marked it Unknown while it was silent. The Node is written only when it differs, so
/// the steady state is one Lease write per interval. A failed write is retried at the next beat.
/// Without <see cref="NodeOptions.Name"/> it does nothing.
/// </summary>
internal sealed class NodeHeartbeat : BackgroundService
{
    private const string ReadyReason = "KubeletReady";
    private const string ReadyMessage = "svcproxy is posting ready status";

    private readonly IObjectStore _store;
    private readonly NodeOptions _options;
    private readonly string? _name;
    private readonly IReadOnlyList<IPAddress> _nodeAddresses;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NodeSystemInfo _info;
    private bool _registered;

    public NodeHeartbeat(IObjectStore store, NodeOptions options, IEnumerable<IPAddress> nodeAddresses, TimeProvider? timeProvider, ILogger? logger)
    {
        _store = store;
        _options = options;
        _name = options.Name;
        _nodeAddresses = [.. nodeAddresses];
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _info = NodeSystem.Info(options.Version ?? NodeSystem.DefaultVersion());
    }

    /// <summary>One beat: the Lease renewed, the Node created or corrected. False when a write failed.</summary>
    public async Task<bool> BeatAsync(CancellationToken cancellationToken = default)
    {
        if (_name is null)
        {
            return true;
        }

        var now = _time.GetUtcNow();
        try
        {
            await RenewLeaseAsync(now, cancellationToken).ConfigureAwait(false);
            await EnsureNodeAsync(now, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ObjectStoreException e)
        {
            Log.HeartbeatFailed(_logger, _name, _options.LeaseRenewInterval, e);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_name is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.LeaseRenewInterval, _time);
        do
        {
            await BeatAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task RenewLeaseAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = _store.Get<Lease>(Lease.NodeLeaseNamespace, _name!);
        var spec = new LeaseSpec
        {
            HolderIdentity = _name!,
            LeaseDurationSeconds = (int)_options.LeaseDuration.TotalSeconds,
            RenewTime = now,
        };
        if (lease is null)
        {
            await _store.CreateAsync(new Lease { Metadata = new ObjectMeta { Name = _name, Namespace = Lease.NodeLeaseNamespace }, Spec = spec }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        await _store.UpdateAsync(lease with { Spec = (lease.Spec ?? new LeaseSpec()) with { HolderIdentity = spec.HolderIdentity, LeaseDurationSeconds = spec.LeaseDurationSeconds, RenewTime = now } }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureNodeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = _store.Get<Node>(string.Empty, _name!);
        var desired = Desired(current ?? new Node { Metadata = new ObjectMeta { Name = _name } }, now);
        if (current is null)
        {
            await _store.CreateAsync(desired, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (!SameApartFromHeartbeat(current, desired))
        {
            await _store.UpdateAsync(desired, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current.ReadyStatus != "True")
            {
                Log.NodeReady(_logger, _name!);
            }
        }

        if (!_registered)
        {
            _registered = true;
            Log.NodeRegistered(_logger, _name!, string.Join(", ", desired.Status!.Addresses!.Select(a => $"{a.Type} {a.Address}")), string.Join(",", _options.Roles));
        }
    }

    private Node Desired(Node node, DateTimeOffset now)
    {
        var labels = new Dictionary<string, string>(node.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["kubernetes.io/arch"] = _info.Architecture!,
            ["kubernetes.io/hostname"] = _name!,
            ["kubernetes.io/os"] = _info.OperatingSystem!,
        };
        foreach (var stale in labels.Keys.Where(k => k.StartsWith(Node.RoleLabelPrefix, StringComparison.Ordinal) && !_options.Roles.Contains(k[Node.RoleLabelPrefix.Length..])).ToList())
        {
            labels.Remove(stale);
        }

        foreach (var role in _options.Roles)
        {
            labels[Node.RoleLabelPrefix + role] = string.Empty;
        }

        var status = (node.Status ?? new NodeStatus()) with
        {
            Addresses = NodeSystem.Addresses(_nodeAddresses, _name!),
            NodeInfo = _info,
        };
        var withStatus = node with { Metadata = node.Metadata with { Labels = labels }, Status = status };
        return NodeConditions.WithReady(withStatus, "True", ReadyReason, ReadyMessage, now, now);
    }

    /// <summary>Equal once the heartbeat time is left out, so a healthy Node is not rewritten at every beat.</summary>
    private static bool SameApartFromHeartbeat(Node current, Node desired)
    {
        static Node Strip(Node n) => n with
        {
            Metadata = n.Metadata with { ResourceVersion = null },
            Status = n.Status is null ? null : n.Status with
            {
                Conditions = n.Status.Conditions?.Select(c => c with { LastHeartbeatTime = null }).ToList(),
            },
        };

        return System.Text.Json.JsonSerializer.Serialize(Strip(current), KubeJson.Options) == System.Text.Json.JsonSerializer.Serialize(Strip(desired), KubeJson.Options);
    }
}

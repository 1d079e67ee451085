using System.Net;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Nodes;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Nodes;

/// <summary>A node's registration and heartbeat, and the lifecycle controller's NotReady, on a fake clock.</summary>
public sealed class NodeHeartbeatTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly IObjectStore _store;
    private readonly NodeOptions _options = new() { Name = "node-a", Roles = ["control-plane", "proxy"], Version = "v1.0.0" };

    public NodeHeartbeatTests() => _store = ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, _time);

    private NodeHeartbeat Heartbeat(string name = "node-a", params IPAddress[] addresses) =>
        new(_store, new NodeOptions { Name = name, Roles = _options.Roles, Version = _options.Version }, addresses, _time, null);

    private readonly RecordedEvents _events = new();

    private NodeLifecycleController Controller() => new(_store, _options, _time, null, _events);

    private string? Ready(string name = "node-a") => _store.Get<Node>(string.Empty, name)!.ReadyStatus;

    [Fact]
    public async Task A_beat_registers_the_node_ready_with_its_roles_addresses_and_version_and_renews_its_lease()
    {
        Assert.True(await Heartbeat(addresses: [IPAddress.Loopback, IPAddress.Parse("192.0.2.10")]).BeatAsync());

        var node = _store.Get<Node>(string.Empty, "node-a")!;
        Assert.Equal("True", node.ReadyStatus);
        Assert.Equal(string.Empty, node.Metadata.Labels!["node-role.kubernetes.io/proxy"]);
        Assert.Equal(string.Empty, node.Metadata.Labels!["node-role.kubernetes.io/control-plane"]);
        Assert.Equal("node-a", node.Metadata.Labels!["kubernetes.io/hostname"]);
        Assert.Equal([("InternalIP", "192.0.2.10"), ("Hostname", "node-a")], node.Status!.Addresses!.Select(a => (a.Type!, a.Address!)));
        Assert.Equal("v1.0.0", node.Status.NodeInfo!.KubeletVersion);
        var lease = _store.Get<Lease>(Lease.NodeLeaseNamespace, "node-a")!;
        Assert.Equal("node-a", lease.Spec!.HolderIdentity);
        Assert.Equal(40, lease.Spec.LeaseDurationSeconds);
        Assert.Equal(_time.GetUtcNow(), lease.Spec.RenewTime);
    }

    [Fact]
    public async Task A_healthy_node_is_written_once_and_then_only_its_lease_is_renewed()
    {
        var heartbeat = Heartbeat();
        await heartbeat.BeatAsync();
        var nodeVersion = _store.Get<Node>(string.Empty, "node-a")!.Metadata.ResourceVersion;
        var leaseVersion = _store.Get<Lease>(Lease.NodeLeaseNamespace, "node-a")!.Metadata.ResourceVersion;

        _time.Advance(TimeSpan.FromSeconds(10));
        await heartbeat.BeatAsync();

        Assert.Equal(nodeVersion, _store.Get<Node>(string.Empty, "node-a")!.Metadata.ResourceVersion);
        Assert.NotEqual(leaseVersion, _store.Get<Lease>(Lease.NodeLeaseNamespace, "node-a")!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_node_whose_lease_stops_changing_turns_unknown_after_the_grace_period_and_ready_when_it_renews()
    {
        var heartbeat = Heartbeat();
        var controller = Controller();
        await heartbeat.BeatAsync();
        await controller.MonitorAsync();

        _time.Advance(TimeSpan.FromSeconds(40));
        await controller.MonitorAsync();
        Assert.Equal("True", Ready());

        _time.Advance(TimeSpan.FromSeconds(1));
        await controller.MonitorAsync();
        var ready = _store.Get<Node>(string.Empty, "node-a")!.Status!.Conditions!.Single(c => c.Type == "Ready");
        Assert.Equal(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal(_time.GetUtcNow(), ready.LastTransitionTime);
        Assert.Equal([("Node", "node-a", "node-controller", "Normal", "NodeNotReady", "Node node-a status is now: NodeNotReady")], _events.Recorded);

        await heartbeat.BeatAsync();
        Assert.Equal("True", Ready());
        await controller.MonitorAsync();
        Assert.Equal("True", Ready());
    }

    [Fact]
    public async Task Renewals_keep_a_node_ready_however_long_it_runs()
    {
        var heartbeat = Heartbeat();
        var controller = Controller();
        for (var i = 0; i < 30; i++)
        {
            await heartbeat.BeatAsync();
            await controller.MonitorAsync();
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Equal("True", Ready());
    }

    [Fact]
    public async Task A_new_controller_gives_every_node_a_full_grace_period_whatever_the_renew_time_says()
    {
        await Heartbeat().BeatAsync();
        _time.Advance(TimeSpan.FromMinutes(10));

        var controller = Controller();
        await controller.MonitorAsync();
        Assert.Equal("True", Ready());
        _time.Advance(TimeSpan.FromSeconds(41));
        await controller.MonitorAsync();
        Assert.Equal("Unknown", Ready());
    }

    [Fact]
    public async Task A_node_that_never_reported_turns_unknown_too()
    {
        await _store.CreateAsync(new Node { Metadata = new ObjectMeta { Name = "silent" } });
        var controller = Controller();
        await controller.MonitorAsync();
        _time.Advance(TimeSpan.FromSeconds(41));
        await controller.MonitorAsync();
        var ready = _store.Get<Node>(string.Empty, "silent")!.Status!.Conditions!.Single();
        Assert.Equal(("Unknown", "NodeStatusNeverUpdated"), (ready.Status, ready.Reason));
    }

    [Fact]
    public async Task A_node_without_a_name_registers_nothing()
    {
        Assert.True(await new NodeHeartbeat(_store, new NodeOptions(), [], _time, null).BeatAsync());
        Assert.Empty(_store.List<Node>().Items);
        Assert.Empty(_store.List<Lease>().Items);
    }
}

internal sealed class RecordedEvents : IEventRecorder
{
    public List<(string Kind, string? Name, string Component, string Type, string Reason, string Message)> Recorded { get; } = [];

    public void Record(ObjectReference involvedObject, string component, string type, string reason, string message) =>
        Recorded.Add((involvedObject.Kind!, involvedObject.Name, component, type, reason, message));
}

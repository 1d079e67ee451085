using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Probing;

/// <summary>The prober's schedule and status writes, on a fake clock with scripted probe results.</summary>
public sealed class ReadinessProberTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> App = new() { ["app"] = "web" };
    private static readonly ProbeOutcome Refused = ProbeOutcome.Failure("dial tcp 10.1.0.1:8080: connection refused");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly ScriptedRunner _runner = new();
    private readonly IObjectStore _store;
    private readonly EndpointsController _endpoints;
    private readonly ReadinessProber _prober;

    public ReadinessProberTests()
    {
        _runner.Time = _time;
        _store = ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, _time);
        _endpoints = new EndpointsController(_store);
        _prober = new ReadinessProber(_store, _runner, _time);
    }

    public async Task InitializeAsync()
    {
        _endpoints.Start();
        await _prober.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _prober.StopAsync(CancellationToken.None);
        _prober.Dispose();
        _endpoints.Dispose();
    }

    private static Pod Pod(string name, Probe? probe, string ip = "10.1.0.1", bool readyAsSent = true) => new()
    {
        Metadata = new ObjectMeta { Name = name, Labels = App },
        Spec = new PodSpec
        {
            Containers = [new Container { Name = "web", Ports = [new PodContainerPort { Name = "http", ContainerPort = 8080 }], ReadinessProbe = probe }],
        },
        Status = new PodStatus { Phase = "Running", PodIP = ip, Conditions = [new PodCondition { Type = "Ready", Status = readyAsSent ? "True" : "False" }] },
    };

    private static Probe Tcp(int period = 10, int success = 1, int failure = 3, int delay = 0) =>
        new() { TcpSocket = new TcpSocketAction { Port = "http" }, PeriodSeconds = period, SuccessThreshold = success, FailureThreshold = failure, InitialDelaySeconds = delay };

    private Pod Stored(string name) => _store.Get<Pod>("default", name)!;

    /// <summary>Waits (real time, bounded) until the runner has been called <paramref name="calls"/> times and the prober is idle.</summary>
    private async Task ProbedAsync(int calls)
    {
        var watch = Stopwatch.StartNew();
        while (_runner.Calls < calls && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        Assert.Equal(calls, _runner.Calls);

        // The result is counted and written by the scheduler right after the call returns.
        await Task.Delay(50);
    }

    private async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        return condition();
    }

    [Fact]
    public async Task A_probed_pod_is_ready_after_its_first_success_and_its_endpoint_follows()
    {
        await _store.CreateAsync(new Service { Metadata = new ObjectMeta { Name = "web" }, Spec = new ServiceSpec { Selector = App, Ports = [new ServicePort { Port = 80, TargetPort = 8080 }] } });
        _runner.Script("web", ProbeOutcome.Success());
        await _store.CreateAsync(Pod("web-1", Tcp(), readyAsSent: false));

        await ProbedAsync(1);

        Assert.True(await EventuallyAsync(() => Stored("web-1").IsReady));
        var status = Stored("web-1").Status!;
        Assert.True(Assert.Single(status.ContainerStatuses!).Ready);
        Assert.Equal("True", status.Conditions!.Single(c => c.Type == "ContainersReady").Status);
        Assert.Equal("10.1.0.1", _store.Get<Endpoints>("default", "web")!.Subsets![0].Addresses![0].Ip);
    }

    [Fact]
    public async Task After_failure_threshold_failures_the_pod_is_not_ready_and_its_endpoint_moves_to_not_ready()
    {
        await _store.CreateAsync(new Service { Metadata = new ObjectMeta { Name = "web" }, Spec = new ServiceSpec { Selector = App, Ports = [new ServicePort { Port = 80, TargetPort = 8080 }] } });
        _runner.Script("web", ProbeOutcome.Success(), Refused, Refused, Refused);
        await _store.CreateAsync(Pod("web-1", Tcp()));
        await ProbedAsync(1);
        Assert.True(await EventuallyAsync(() => Stored("web-1").IsReady));

        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(2);
        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(3);
        Assert.True(Stored("web-1").IsReady);

        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(4);
        Assert.True(await EventuallyAsync(() => !Stored("web-1").IsReady));
        var ready = Stored("web-1").Status!.Conditions!.Single(c => c.Type == "Ready");
        Assert.Equal("containers with unready status: [web]; web: dial tcp 10.1.0.1:8080: connection refused", ready.Message);
        Assert.False(Assert.Single(Stored("web-1").Status!.ContainerStatuses!).Ready);
        Assert.True(await EventuallyAsync(() => _store.Get<Endpoints>("default", "web")!.Subsets![0].NotReadyAddresses is [{ Ip: "10.1.0.1" }]));
    }

    [Fact]
    public async Task The_first_probe_waits_for_the_initial_delay_then_probes_every_period()
    {
        await _store.CreateAsync(Pod("web-1", Tcp(period: 3, delay: 7)));
        var created = _time.GetUtcNow();

        _time.Advance(TimeSpan.FromSeconds(6));
        await Task.Delay(50);
        Assert.Equal(0, _runner.Calls);
        Assert.False(Stored("web-1").IsReady);

        _time.Advance(TimeSpan.FromSeconds(1));
        await ProbedAsync(1);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(50);
        Assert.Equal(1, _runner.Calls);
        _time.Advance(TimeSpan.FromSeconds(1));
        await ProbedAsync(2);

        Assert.Equal([created.AddSeconds(7), created.AddSeconds(10)], _runner.Log.Select(l => l.At));
    }

    [Fact]
    public async Task A_pod_without_a_probe_keeps_its_status_as_sent()
    {
        var pod = await _store.CreateAsync(Pod("plain", probe: null, readyAsSent: false));

        _time.Advance(TimeSpan.FromSeconds(30));
        await Task.Delay(50);

        Assert.Equal(0, _runner.Calls);
        Assert.Equal(pod.Metadata.ResourceVersion, Stored("plain").Metadata.ResourceVersion);
        Assert.Equal(0, _prober.ProbedContainers);
    }

    [Fact]
    public async Task A_prober_for_one_node_probes_only_the_pods_bound_to_it()
    {
        var runner = new ScriptedRunner { Time = _time };
        using var nodeA = new ReadinessProber(_store, runner, _time, probes: pod => pod.Spec?.NodeName == "node-a");
        await nodeA.StartAsync(CancellationToken.None);
        try
        {
            var onA = Pod("on-a", Tcp(period: 1), ip: "10.1.0.1");
            var onB = Pod("on-b", Tcp(period: 1), ip: "10.1.0.2");
            await _store.CreateAsync(onA with { Spec = onA.Spec! with { NodeName = "node-a" } });
            await _store.CreateAsync(onB with { Spec = onB.Spec! with { NodeName = "node-b" } });
            await _store.CreateAsync(Pod("unbound", Tcp(period: 1), ip: "10.1.0.3"));

            for (var period = 1; period <= 3; period++)
            {
                Assert.True(await EventuallyAsync(() => runner.Calls >= period));
                _time.Advance(TimeSpan.FromSeconds(1));
            }

            Assert.True(await EventuallyAsync(() => runner.Calls >= 4));
            await Task.Delay(50);
            Assert.Equal(["10.1.0.1"], runner.Log.Select(l => l.PodIP).Distinct());
            Assert.Equal(1, nodeA.ProbedContainers);
        }
        finally
        {
            await nodeA.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_deleted_pod_is_no_longer_probed()
    {
        await _store.CreateAsync(Pod("web-1", Tcp(period: 1)));
        await ProbedAsync(1);

        await _store.DeleteAsync<Pod>("default", "web-1");
        _time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(50);

        Assert.Equal(1, _runner.Calls);
        Assert.Equal(0, _prober.ProbedContainers);
    }

    [Fact]
    public async Task A_client_overwriting_the_status_is_corrected_without_a_new_probe()
    {
        _runner.Script("web", Refused);
        await _store.CreateAsync(Pod("web-1", Tcp(failure: 1)));
        await ProbedAsync(1);
        Assert.True(await EventuallyAsync(() => !Stored("web-1").IsReady));

        await _store.UpdateAsync(Stored("web-1") with { Status = Pod("web-1", null).Status, Metadata = Stored("web-1").Metadata with { ResourceVersion = null } });

        Assert.True(await EventuallyAsync(() => !Stored("web-1").IsReady));
        Assert.Equal(1, _runner.Calls);
    }

    [Fact]
    public async Task A_changed_probe_starts_over()
    {
        await _store.CreateAsync(Pod("web-1", Tcp(period: 60)));
        await ProbedAsync(1);

        await _store.UpdateAsync(Stored("web-1") with { Spec = Pod("web-1", Tcp(period: 5)).Spec, Metadata = Stored("web-1").Metadata with { ResourceVersion = null } });
        await ProbedAsync(2);
        _time.Advance(TimeSpan.FromSeconds(5));

        await ProbedAsync(3);
    }

    [Fact]
    public async Task An_error_leaves_the_container_not_ready_with_the_reason_in_the_ready_condition()
    {
        _runner.Script("web", ProbeOutcome.Error(ProbeRunner.ExecUnsupported));
        await _store.CreateAsync(Pod("web-1", new Probe { Exec = new ExecAction { Command = ["true"] } }));
        await ProbedAsync(1);

        Assert.True(await EventuallyAsync(() => Stored("web-1").Status!.Conditions!.Single(c => c.Type == "Ready").Message?.Contains("exec readiness probes cannot run", StringComparison.Ordinal) == true));
        Assert.False(Stored("web-1").IsReady);
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Probing;

/// <summary>
/// A prober that starts with Pods already running (svcproxy restarted over a durable store), as the
/// kubelet after a restart: each Pod keeps the readiness it has until its probes decide otherwise,
/// nothing is written before the first probe, and the initial delay counts from the Pod's creation.
/// Also the Unhealthy Events each failed probe records.
/// </summary>
public sealed class ReadinessProberRestartTests : IAsyncDisposable
{
    private static readonly ProbeOutcome Refused = ProbeOutcome.Failure("dial tcp 10.1.0.1:8080: connection refused");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly ScriptedRunner _runner = new();
    private readonly IObjectStore _store;
    private readonly EventStore _events;
    private readonly EventRecorder _recorder;
    private ReadinessProber? _prober;

    public ReadinessProberRestartTests()
    {
        _runner.Time = _time;
        _store = ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, _time);
        _events = new EventStore(new EventOptions(), _time);
        _recorder = new EventRecorder(new EventOptions(), _events, _store, _time, run: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_prober is not null)
        {
            await _prober.StopAsync(CancellationToken.None);
            _prober.Dispose();
        }

        _recorder.Dispose();
        _events.Dispose();
    }

    private static Pod Pod(string name, bool ready, int delay = 0) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = new PodSpec
        {
            Containers =
            [
                new Container
                {
                    Name = "web",
                    Ports = [new PodContainerPort { Name = "http", ContainerPort = 8080 }],
                    ReadinessProbe = new Probe { TcpSocket = new TcpSocketAction { Port = "http" }, PeriodSeconds = 10, SuccessThreshold = 1, FailureThreshold = 3, InitialDelaySeconds = delay },
                },
            ],
        },
        Status = new PodStatus
        {
            Phase = "Running",
            PodIP = "10.1.0.1",
            ContainerStatuses = [new ContainerStatus { Name = "web", Ready = ready }],
            Conditions = [new PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    private async Task StartProberAsync()
    {
        _prober = new ReadinessProber(_store, _runner, _time, recorder: _recorder);
        await _prober.StartAsync(CancellationToken.None);
    }

    private Pod Stored(string name) => _store.Get<Pod>("default", name)!;

    private async Task ProbedAsync(int calls)
    {
        var watch = Stopwatch.StartNew();
        while (_runner.Calls < calls && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        Assert.Equal(calls, _runner.Calls);
        await Task.Delay(50);
    }

    [Fact]
    public async Task A_ready_pod_found_running_stays_ready_until_failure_threshold_failures_and_is_probed_at_once()
    {
        await _store.CreateAsync(Pod("web-1", ready: true, delay: 5));
        var version = Stored("web-1").Metadata.ResourceVersion;
        _time.Advance(TimeSpan.FromHours(1));
        _runner.Script("web", Refused);

        await StartProberAsync();
        await ProbedAsync(1); // its initial delay ran out long ago
        Assert.Equal(version, Stored("web-1").Metadata.ResourceVersion);
        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(2);
        Assert.True(Stored("web-1").IsReady);
        Assert.Equal(version, Stored("web-1").Metadata.ResourceVersion);

        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(3);
        Assert.False(Stored("web-1").IsReady);
        Assert.False(Assert.Single(Stored("web-1").Status!.ContainerStatuses!).Ready);
    }

    [Fact]
    public async Task A_not_ready_pod_found_running_stays_not_ready_until_its_first_success()
    {
        await _store.CreateAsync(Pod("web-1", ready: false));
        _time.Advance(TimeSpan.FromMinutes(5));
        _runner.Script("web", Refused, ProbeOutcome.Success());

        await StartProberAsync();
        await ProbedAsync(1);
        Assert.False(Stored("web-1").IsReady);

        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(2);
        var watch = Stopwatch.StartNew();
        while (!Stored("web-1").IsReady && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        Assert.True(Stored("web-1").IsReady);
    }

    [Fact]
    public async Task The_initial_delay_of_a_pod_found_running_counts_from_its_creation_and_nothing_is_written_before()
    {
        await _store.CreateAsync(Pod("web-1", ready: true, delay: 60));
        var version = Stored("web-1").Metadata.ResourceVersion;
        _time.Advance(TimeSpan.FromSeconds(30));

        await StartProberAsync();
        await Task.Delay(100);
        Assert.Equal(0, _runner.Calls);
        Assert.Equal(version, Stored("web-1").Metadata.ResourceVersion);
        Assert.True(Stored("web-1").IsReady);
        _time.Advance(TimeSpan.FromSeconds(30));
        await ProbedAsync(1);
        Assert.Equal(_time.GetUtcNow(), Assert.Single(_runner.Log).At);
    }

    [Fact]
    public async Task Each_failed_probe_is_an_unhealthy_warning_counted_on_one_event()
    {
        await StartProberAsync();
        _runner.Script("web", Refused);
        await _store.CreateAsync(Pod("web-1", ready: true));
        await ProbedAsync(1);
        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(2);
        _time.Advance(TimeSpan.FromSeconds(10));
        await ProbedAsync(3);
        _recorder.ProcessQueued();

        var e = Assert.Single(_events.List().Items);
        Assert.Equal((Event.Warning, "Unhealthy", 3), (e.Type, e.Reason, e.Count));
        Assert.Equal("Readiness probe failed: dial tcp 10.1.0.1:8080: connection refused", e.Message);
        Assert.Equal(("Pod", "web-1", "spec.containers{web}"), (e.InvolvedObject.Kind, e.InvolvedObject.Name, e.InvolvedObject.FieldPath));
        Assert.Equal(Stored("web-1").Metadata.Uid, e.InvolvedObject.Uid);
    }
}

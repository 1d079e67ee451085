using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// The kubelet's readiness prober for the Pods in the store: every container with a
/// <c>readinessProbe</c>, in a Pod that has an IP and is running (phase unset or <c>Running</c>), is
/// probed from the moment the Pod is seen plus <c>initialDelaySeconds</c>, then every
/// <c>periodSeconds</c>; each result is counted against the thresholds, and a change of readiness
/// is written to the Pod's status (containerStatuses[].ready, ContainersReady, Ready), which the
/// endpoints controller follows. One scheduler serves every probe: a queue ordered by due time,
/// one timer for the earliest, and probes run asynchronously with a bound on how many are in
/// flight. Pods without readiness probes are never written. As the kubelet after a restart, a Pod
/// created more than <see cref="RestartGrace"/> before the prober started counts its initial delay
/// from its creation and keeps the readiness it has until its probes decide otherwise; nothing is
/// written for it before its first probe. Each failed probe is recorded as the kubelet records it:
/// a Warning <c>Unhealthy</c> Event, "Readiness probe failed: …", on the Pod.
/// </summary>
internal sealed partial class ReadinessProber : IHostedService, IDisposable
{
    /// <summary>Probes in flight at most; more wait for a slot (their timeouts start when they run).</summary>
    public const int DefaultMaxConcurrentProbes = 2048;

    /// <summary>The kubelet's: a container started this long before the prober is one it finds already running.</summary>
    public static readonly TimeSpan RestartGrace = TimeSpan.FromSeconds(10);

    private const int MaxWriteAttempts = 5;

    private readonly Lock _gate = new();
    private readonly IObjectStore _store;
    private readonly IProbeRunner _runner;
    private readonly ProbeRunner? _ownedRunner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StoreChangeFeed _feed;
    private readonly IEventRecorder? _recorder;
    private readonly Func<Pod, bool>? _probes;
    private readonly DateTimeOffset _started;
    private readonly PriorityQueue<ProbeWorker, DateTimeOffset> _queue = new();
    private readonly Dictionary<PodKey, Dictionary<string, ProbeWorker>> _workers = [];
    private readonly HashSet<PodKey> _dirty = [];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private int _signaled;
    private int _running;
    private Task? _loop;

    /// <summary>
    /// A prober of the Pods in <paramref name="store"/>; <paramref name="runner"/> null runs probes over
    /// the network; <paramref name="probes"/>, when given, picks the Pods this prober is responsible for
    /// (in a cluster, each node's own), and every other Pod is left as it is.
    /// </summary>
    public ReadinessProber(IObjectStore store, IProbeRunner? runner = null, TimeProvider? timeProvider = null, ILogger? logger = null, int maxConcurrentProbes = DefaultMaxConcurrentProbes, IEventRecorder? recorder = null, Func<Pod, bool>? probes = null)
    {
        _probes = probes;
        _store = store;
        _ownedRunner = runner is null ? new ProbeRunner() : null;
        _runner = runner ?? _ownedRunner!;
        _time = timeProvider ?? TimeProvider.System;
        _started = _time.GetUtcNow();
        _recorder = recorder;
        _logger = logger ?? NullLogger.Instance;
        _slots = new SemaphoreSlim(maxConcurrentProbes, maxConcurrentProbes);
        _timer = _time.CreateTimer(_ => Wake(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _feed = new StoreChangeFeed(store, nameof(ReadinessProber), OnEvents, Resync, _logger);
    }

    /// <summary>Containers being probed now.</summary>
    public int ProbedContainers
    {
        get
        {
            lock (_gate)
            {
                return _workers.Values.Sum(w => w.Count);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _feed.Start();
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _feed.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // Probes in flight end at their cancelled token; none starts after the loop has ended.
        if (Volatile.Read(ref _running) > 0)
        {
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _feed.Dispose();
        _stopping.Cancel();
        _timer.Dispose();
        if (Volatile.Read(ref _running) == 0)
        {
            _slots.Dispose();
        }

        _signal.Dispose();
        _stopping.Dispose();
        _ownedRunner?.Dispose();
    }

    private void Resync()
    {
        var pods = _store.List<Pod>().Items;
        lock (_gate)
        {
            var seen = new HashSet<PodKey>();
            foreach (var pod in pods)
            {
                var key = new PodKey(pod.Metadata.NamespaceOrDefault, pod.Metadata.Name!);
                seen.Add(key);
                Track(key, pod);
            }

            foreach (var key in _workers.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                Untrack(key);
            }
        }

        Wake();
    }

    private void OnEvents(IReadOnlyList<WatchEvent> events)
    {
        var changed = false;
        lock (_gate)
        {
            foreach (var watchEvent in events)
            {
                if (watchEvent.Object is not Pod pod)
                {
                    continue;
                }

                var key = new PodKey(pod.Metadata.NamespaceOrDefault, pod.Metadata.Name!);
                if (watchEvent.Type == WatchEventType.Deleted)
                {
                    Untrack(key);
                }
                else
                {
                    Track(key, pod);
                }

                changed = true;
            }
        }

        if (changed)
        {
            Wake();
        }
    }

    /// <summary>Starts, keeps or replaces the workers of <paramref name="pod"/>; marks it for a status check.</summary>
    private void Track(PodKey key, Pod pod)
    {
        var targets = _probes is null || _probes(pod) ? Targets(pod) : [];
        if (targets.Count == 0)
        {
            Untrack(key);
            return;
        }

        if (!_workers.TryGetValue(key, out var workers))
        {
            workers = new Dictionary<string, ProbeWorker>(StringComparer.Ordinal);
            _workers[key] = workers;
        }

        foreach (var (name, worker) in workers.ToList())
        {
            if (!targets.Any(t => t.Container.Name == name && Equivalent(t, worker.Target)))
            {
                worker.Removed = true;
                workers.Remove(name);
            }
        }

        var now = _time.GetUtcNow();
        var created = pod.Metadata.CreationTimestamp;
        var adopted = created is { } since && since < _started - RestartGrace;
        foreach (var target in targets)
        {
            if (!workers.ContainsKey(target.Container.Name!))
            {
                var delay = TimeSpan.FromSeconds(target.Probe.InitialDelaySeconds);
                var worker = adopted
                    ? new ProbeWorker(key, target, created!.Value + delay > now ? created.Value + delay : now, AdoptedReadiness(pod, target.Container.Name!))
                    : new ProbeWorker(key, target, now + delay);
                workers[target.Container.Name!] = worker;
                _queue.Enqueue(worker, worker.Due);
            }
        }

        // Also catches a client overwriting the status the prober wrote.
        _dirty.Add(key);
    }

    private void Untrack(PodKey key)
    {
        if (_workers.Remove(key, out var workers))
        {
            foreach (var worker in workers.Values)
            {
                worker.Removed = true;
            }
        }

        _dirty.Remove(key);
    }

    /// <summary>
    /// The kubelet's setReadyStateOnKubeletRestart: ready as the container's status says, but only
    /// while the Pod's Ready condition is True.
    /// </summary>
    private static bool AdoptedReadiness(Pod pod, string container) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == PodReadiness.Ready)?.Status == "True"
        && (pod.Status.ContainerStatuses?.FirstOrDefault(c => c.Name == container)?.Ready ?? true);

    private static List<ProbeTarget> Targets(Pod pod)
    {
        var targets = new List<ProbeTarget>();
        if (pod.Status?.PodIP is not { Length: > 0 } podIP || pod.Status.Phase is not (null or "Running"))
        {
            return targets;
        }

        foreach (var container in pod.Spec?.Containers ?? [])
        {
            if (container.ReadinessProbe is { } probe && !string.IsNullOrEmpty(container.Name))
            {
                targets.Add(new ProbeTarget(probe, container, podIP));
            }
        }

        return targets;
    }

    /// <summary>Same probe, address and ports: the worker and its counts carry on.</summary>
    private static bool Equivalent(ProbeTarget a, ProbeTarget b) =>
        a.PodIP == b.PodIP
        && Json(a.Probe) == Json(b.Probe)
        && Json(a.Container.Ports) == Json(b.Container.Ports);

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, KubeJson.Options);
}

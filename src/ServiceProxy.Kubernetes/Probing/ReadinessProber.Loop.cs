using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>The scheduler: writes changed readiness, starts due probes, then sleeps until the next is due.</summary>
internal sealed partial class ReadinessProber
{
    private void Wake()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _signal.Release();
        }
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        var due = new List<ProbeWorker>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stopping).ConfigureAwait(false);
                Volatile.Write(ref _signaled, 0);
                await WriteDirtyPodsAsync(stopping).ConfigureAwait(false);
                TakeDue(due);
                foreach (var worker in due)
                {
                    await _slots.WaitAsync(stopping).ConfigureAwait(false);
                    Interlocked.Increment(ref _running);
                    _ = ProbeAsync(worker, stopping);
                }

                due.Clear();
                ArmTimer();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The scheduler outlives a bug in one pass; the next write or timer runs it again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.ProberFailed(_logger, e);
                due.Clear();
                ArmTimer();
            }
        }
    }

    private void TakeDue(List<ProbeWorker> due)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            while (_queue.TryPeek(out var worker, out var at) && at <= now)
            {
                _queue.Dequeue();
                if (!worker.Removed)
                {
                    due.Add(worker);
                }
            }
        }
    }

    private void ArmTimer()
    {
        DateTimeOffset next;
        lock (_gate)
        {
            while (_queue.TryPeek(out var worker, out _) && worker.Removed)
            {
                _queue.Dequeue();
            }

            if (!_queue.TryPeek(out _, out next))
            {
                return;
            }
        }

        var delay = next - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            Wake();
        }
        else
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ProbeAsync(ProbeWorker worker, CancellationToken stopping)
    {
        try
        {
            ProbeOutcome outcome;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, worker.Target.Probe.TimeoutSeconds)), _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping))
            {
                outcome = await _runner.RunAsync(worker.Target, linked.Token).ConfigureAwait(false);
            }

            if (stopping.IsCancellationRequested)
            {
                return;
            }

            RecordUnhealthy(worker, outcome);
            var changed = false;
            var period = TimeSpan.FromSeconds(Math.Max(1, worker.Target.Probe.PeriodSeconds));
            lock (_gate)
            {
                if (worker.Removed)
                {
                    return;
                }

                var wasReady = worker.Ready;
                changed = worker.Record(outcome);
                if (changed)
                {
                    _dirty.Add(worker.Pod);
                }

                if (wasReady != worker.Ready)
                {
                    Log.ReadinessChanged(_logger, worker.Pod.ToString(), worker.Container, worker.Ready, worker.Ready ? "probe passed" : worker.Message);
                }

                var now = _time.GetUtcNow();
                worker.Due = worker.Due + period > now ? worker.Due + period : now;
                _queue.Enqueue(worker, worker.Due);
            }

            Wake();
        }
        finally
        {
            _slots.Release();
            if (Interlocked.Decrement(ref _running) == 0 && stopping.IsCancellationRequested)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>The kubelet's Event for a probe that failed or could not run.</summary>
    private void RecordUnhealthy(ProbeWorker worker, ProbeOutcome outcome)
    {
        if (_recorder is null || outcome.Verdict == ProbeResult.Success)
        {
            return;
        }

        var reference = new ObjectReference
        {
            Kind = "Pod",
            ApiVersion = "v1",
            Namespace = worker.Pod.Namespace,
            Name = worker.Pod.Name,
            FieldPath = $"spec.containers{{{worker.Container}}}",
        };
        var verb = outcome.Verdict == ProbeResult.Failure ? "failed" : "errored";
        _recorder.Record(reference, EventComponents.Prober, Event.Warning, "Unhealthy", $"Readiness probe {verb}: {outcome.Message}");
    }

    /// <summary>Writes the status of each marked Pod whose readiness differs from what is stored.</summary>
    private async Task WriteDirtyPodsAsync(CancellationToken cancellationToken)
    {
        List<(PodKey Key, ProbeWorker[] Workers)> pods;
        lock (_gate)
        {
            if (_dirty.Count == 0)
            {
                return;
            }

            // An adopted Pod keeps the status it has until its first result.
            pods = [.. _dirty.Where(_workers.ContainsKey)
                .Select(k => (k, _workers[k].Values.ToArray()))
                .Where(p => !p.Item2.All(w => w.Adopted && !w.HasResult))];
            _dirty.Clear();
        }

        foreach (var (key, workers) in pods)
        {
            await WriteStatusAsync(key, workers, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteStatusAsync(PodKey key, ProbeWorker[] workers, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            var pod = _store.Get<Pod>(key.Namespace, key.Name);
            if (pod is null)
            {
                return;
            }

            PodStatus desired;
            lock (_gate)
            {
                if (workers.All(w => w.Removed))
                {
                    return;
                }

                desired = PodReadiness.Apply(pod, workers, _time.GetUtcNow());
            }

            if (PodReadiness.Same(pod.Status, desired))
            {
                return;
            }

            try
            {
                var owner = new WriteOptions { Owner = _store.GetOwner(pod.Kind, key.Namespace, key.Name) };
                await _store.UpdateAsync(pod with { Status = desired }, owner, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.Conflict && attempt < MaxWriteAttempts)
            {
                // Written in between: read again and recompute.
            }
            catch (ObjectStoreException e)
            {
                Log.ReadinessWriteFailed(_logger, key.ToString(), e);
                return;
            }
        }
    }
}

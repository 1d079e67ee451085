using System.Collections.Concurrent;
using ServiceProxy.Kubernetes.Probing;

namespace ServiceProxy.Tests.Kubernetes.Probing;

/// <summary>A probe runner that answers from a per-container script (the last answer repeats) and counts calls.</summary>
internal sealed class ScriptedRunner : IProbeRunner
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ProbeOutcome>> _scripts = new();
    private readonly ConcurrentDictionary<string, ProbeOutcome> _last = new();
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<(string Container, DateTimeOffset At, string PodIP)> Log { get; } = new();

    public TimeProvider? Time { get; set; }

    /// <summary>Answers for <paramref name="container"/>, in order; the last one repeats.</summary>
    public void Script(string container, params ProbeOutcome[] outcomes)
    {
        var queue = _scripts.GetOrAdd(container, _ => new ConcurrentQueue<ProbeOutcome>());
        foreach (var outcome in outcomes)
        {
            queue.Enqueue(outcome);
        }
    }

    public ValueTask<ProbeOutcome> RunAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var name = target.Container.Name!;
        Log.Enqueue((name, Time?.GetUtcNow() ?? default, target.PodIP));
        var outcome = _scripts.TryGetValue(name, out var queue) && queue.TryDequeue(out var next)
            ? _last[name] = next
            : _last.GetValueOrDefault(name, ProbeOutcome.Success());
        Interlocked.Increment(ref _calls);
        return ValueTask.FromResult(outcome);
    }
}

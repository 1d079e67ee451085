using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Nodes;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Nodes;

/// <summary>Controllers run only while their process leads, and stop when a term ends.</summary>
public sealed class LeaderElectedTests
{
    /// <summary>An election whose terms the test starts and ends.</summary>
    private sealed class ScriptedElection : ILeaderElection
    {
        private TaskCompletionSource<CancellationToken> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationTokenSource? _term;

        public string Identity => "test";

        public bool IsLeader => _term is not null;

        public ValueTask<CancellationToken> WaitForTermAsync(CancellationToken cancellationToken) => new(_next.Task.WaitAsync(cancellationToken));

        public void Win()
        {
            _term = new CancellationTokenSource();
            _next.TrySetResult(_term.Token);
        }

        public void Lose()
        {
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
            var term = _term!;
            _term = null;
            term.Cancel();
            term.Dispose();
        }
    }

    [Fact]
    public async Task Work_runs_once_per_term_and_stops_when_the_term_ends()
    {
        var election = new ScriptedElection();
        var running = 0;
        var terms = 0;
        using var stopping = new CancellationTokenSource();
        var loop = LeaderElected.RunAsync(election, async term =>
        {
            Interlocked.Increment(ref terms);
            Interlocked.Exchange(ref running, 1);
            try
            {
                await LeaderElected.UntilCancelled(term);
            }
            finally
            {
                Interlocked.Exchange(ref running, 0);
            }
        }, stopping.Token);

        Assert.Equal(0, Volatile.Read(ref running));
        election.Win();
        await WaitUntil(() => Volatile.Read(ref running) == 1);
        election.Lose();
        await WaitUntil(() => Volatile.Read(ref running) == 0);
        election.Win();
        await WaitUntil(() => Volatile.Read(ref running) == 1);
        Assert.Equal(2, Volatile.Read(ref terms));

        await stopping.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, Volatile.Read(ref running));
    }

    [Fact]
    public async Task The_node_lifecycle_controller_marks_nodes_only_while_leading()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
        var store = ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, time);
        await store.CreateAsync(new Node { Metadata = new ObjectMeta { Name = "silent" }, Status = new NodeStatus { Conditions = [new NodeCondition { Type = "Ready", Status = "True" }] } });
        var options = new NodeOptions { MonitorPeriod = TimeSpan.FromSeconds(5), MonitorGracePeriod = TimeSpan.FromSeconds(40) };
        var election = new ScriptedElection();
        using var stopping = new CancellationTokenSource();
        var loop = LeaderElected.RunAsync(election, new NodeLifecycleController(store, options, time, null).RunAsync, stopping.Token);

        // A follower: however long the node is silent, nothing is written.
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal("True", store.Get<Node>(string.Empty, "silent")!.ReadyStatus);

        // Leading: a full grace period from when it took over, then NotReady. The controller starts on the
        // thread pool, whenever a loaded machine gets to it, so the clock moves on until it has marked the
        // node (at most 200 steps of a second) and the time since the takeover is checked after.
        election.Win();
        var tookOver = time.GetUtcNow();
        for (var i = 0; i < 200 && store.Get<Node>(string.Empty, "silent")!.ReadyStatus == "True"; i++)
        {
            await Task.Delay(20);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        await WaitUntil(() => store.Get<Node>(string.Empty, "silent")!.ReadyStatus == "Unknown");
        var marked = store.Get<Node>(string.Empty, "silent")!.Status!.Conditions!.Single(c => c.Type == "Ready").LastTransitionTime;
        Assert.True(marked - tookOver > options.MonitorGracePeriod, $"marked {marked - tookOver} after the takeover, within the grace period");
        await stopping.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}

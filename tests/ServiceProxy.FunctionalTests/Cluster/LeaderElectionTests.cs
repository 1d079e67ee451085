using System.Diagnostics;
using System.Text.Json;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// Two svcproxy processes campaign on one etcd for the controllers: one leads; killed with SIGKILL,
/// the other takes over within the lease duration plus one second; stopped with SIGTERM, the
/// leader hands over at once. Real etcd, real processes.
/// </summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);
    private const string BecameLeader = "became leader of";

    private EtcdCluster _etcd = null!;
    private string _config = null!;

    public async Task InitializeAsync()
    {
        _etcd = await EtcdCluster.StartAsync(1);
        _config = Path.Combine(_etcd.RootDirectory, "svcproxy.json");
        await File.WriteAllTextAsync(_config, JsonSerializer.Serialize(new
        {
            Registry = new { LeaderElection = new { EtcdServers = _etcd.ClientUrls, Key = $"/registry/leases/kube-system/test-{Guid.NewGuid():N}" } },
        }));
    }

    public async Task DisposeAsync() => await _etcd.DisposeAsync();

    [Fact]
    public async Task When_the_leader_is_killed_the_other_takes_over_within_the_lease_duration_its_retry_and_a_second()
    {
        await using var a = await StartAsync("node-a");
        await using var b = await StartAsync("node-b");
        var (leader, follower) = await LeaderOfAsync(a, b);
        Assert.DoesNotContain(BecameLeader, follower.Output, StringComparison.Ordinal);

        var killed = Stopwatch.StartNew();
        await leader.KillAsync();
        await follower.WaitForOutputAsync(BecameLeader, TimeSpan.FromSeconds(30));
        // The lease runs out at most its duration after the last renewal, and the other tries every 0.5 s (half
        // the renew deadline); a second more covers the kill's wait for the exit and the log line's trip on a
        // loaded machine (it took 3.05 s once in CI). Waiting for a second lease would take 4 s.
        Assert.True(killed.Elapsed <= LeaseDuration + TimeSpan.FromSeconds(1.5), $"took over {killed.Elapsed} after the kill (lease duration {LeaseDuration})");
    }

    [Fact]
    public async Task A_leader_that_stops_hands_over_at_once()
    {
        await using var a = await StartAsync("node-c");
        await using var b = await StartAsync("node-d");
        var (leader, follower) = await LeaderOfAsync(a, b);

        var stopped = Stopwatch.StartNew();
        Assert.Equal(0, await leader.TerminateAsync(TimeSpan.FromSeconds(30)));
        await follower.WaitForOutputAsync(BecameLeader, TimeSpan.FromSeconds(30));
        Assert.True(stopped.Elapsed < LeaseDuration + TimeSpan.FromSeconds(1), $"took over {stopped.Elapsed} after the leader stopped");
    }

    private Task<HostProcess> StartAsync(string node) => HostProcess.StartAsync(
    [
        "--config", _config, "--node-name", node,
        "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1s",
    ]);

    /// <summary>Waits (bounded) until exactly one of the two leads.</summary>
    private static async Task<(HostProcess Leader, HostProcess Follower)> LeaderOfAsync(HostProcess a, HostProcess b)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var aLeads = a.Output.Contains(BecameLeader, StringComparison.Ordinal);
            var bLeads = b.Output.Contains(BecameLeader, StringComparison.Ordinal);
            Assert.False(aLeads && bLeads, $"both lead:\n{a.Output}\n---\n{b.Output}");
            if (aLeads || bLeads)
            {
                await Task.Delay(LeaseDuration); // Neither takes over while the leader renews.
                Assert.False(a.Output.Contains(BecameLeader, StringComparison.Ordinal) && b.Output.Contains(BecameLeader, StringComparison.Ordinal), "both lead");
                return aLeads ? (a, b) : (b, a);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no leader:\n{a.Output}\n---\n{b.Output}");
    }
}

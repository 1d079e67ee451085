using System.Net;
using CsCheck;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;

namespace ServiceProxy.Tests.Hosting;

/// <summary>A plan made from a snapshot's changes does what the full diff of that snapshot would do.</summary>
public sealed class ReconcilePlanChangesTests
{
    // Ten keys, each with one of three listen addresses and one of three endpoint sets: adds,
    // removals, updates, restarts and no-ops all come up.
    private static readonly Gen<ServicePortConfig> PortGen =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 2], Gen.Int[0, 2]).Select((key, listen, endpoints) => Port(key, listen, endpoints));

    private static ServicePortConfig Port(int key, int listen, int endpoints) => new()
    {
        Key = new ServicePortKey("default", $"svc-{key}", "http", TransportProtocol.Tcp),
        ListenEndPoints = [new IPEndPoint(IPAddress.Parse($"10.96.0.{listen + 1}"), 80)],
        Endpoints = [.. Enumerable.Range(0, endpoints + 1).Select(i => new IPEndPoint(IPAddress.Parse($"10.0.0.{i + 1}"), 8080))],
    };

    [Fact]
    public void Changes_plan_the_same_as_a_full_diff()
    {
        Gen.Select(PortGen.Array[0, 10], PortGen.Array[0, 6], Gen.Int[0, 9].Array[0, 4]).Sample((running, set, removed) =>
        {
            var before = running.DistinctBy(p => p.Key).ToDictionary(p => p.Key);
            var changed = new Dictionary<ServicePortKey, ServicePortConfig?>();
            foreach (var key in removed)
            {
                changed[Port(key, 0, 0).Key] = null;
            }

            foreach (var port in set)
            {
                changed[port.Key] = port;
            }

            var after = new Dictionary<ServicePortKey, ServicePortConfig>(before);
            foreach (var (key, port) in changed)
            {
                if (port is null)
                {
                    after.Remove(key);
                }
                else
                {
                    after[key] = port;
                }
            }

            var full = ReconcilePlan.Create(before, after.Values);
            var partial = ReconcilePlan.ForChanges(before, changed);

            Assert.Equal(Keys(full.Added), Keys(partial.Added));
            Assert.Equal(full.Removed.Order(Comparer), partial.Removed.Order(Comparer));
            Assert.Equal(Keys(full.Updated), Keys(partial.Updated));
            Assert.Equal(Keys(full.Restarted), Keys(partial.Restarted));
            Assert.Equal(full.Unchanged, partial.Unchanged);
        }, iter: 2_000);
    }

    [Fact]
    public void Since_merges_a_chain_newest_first_back_to_the_applied_version()
    {
        var first = new ProxyConfigChanges(1, [Port(1, 0, 0), Port(2, 0, 0)], [], previous: null);
        var second = new ProxyConfigChanges(2, [Port(1, 1, 0)], [Port(2, 0, 0).Key], first);
        var third = new ProxyConfigChanges(3, [Port(2, 2, 2)], [], second);

        var fromOne = third.Since(1)!;
        Assert.Equal("10.96.0.2:80", fromOne[Port(1, 0, 0).Key]!.ListenEndPoints[0].ToString());
        Assert.Equal("10.96.0.3:80", fromOne[Port(2, 0, 0).Key]!.ListenEndPoints[0].ToString());

        // Removed by the second change, set again by the third: the newest state wins.
        var fromTwo = third.Since(2)!;
        Assert.Equal("10.96.0.3:80", fromTwo[Port(2, 0, 0).Key]!.ListenEndPoints[0].ToString());
        Assert.Equal(2, fromTwo.Count);

        var fromThree = Assert.Single(third.Since(3)!);
        Assert.Equal(Port(2, 0, 0).Key, fromThree.Key);
        Assert.Null(second.Since(2)![Port(2, 0, 0).Key]);
        Assert.Null(third.Since(0));
    }

    [Fact]
    public void The_chain_is_cut_at_its_bound()
    {
        ProxyConfigChanges? changes = null;
        for (var version = 0; version < 3 * ProxyConfigChanges.MaxChain; version++)
        {
            changes = new ProxyConfigChanges(version, [Port(version % 10, 0, 0)], [], changes);
        }

        var newest = 3 * ProxyConfigChanges.MaxChain - 1;
        var length = 0;
        for (var link = changes; link is not null; link = link.Previous)
        {
            length++;
        }

        Assert.InRange(length, 16, ProxyConfigChanges.MaxChain);
        for (var behind = 0; behind < 16; behind++)
        {
            Assert.NotNull(changes!.Since(newest - behind));
        }

        Assert.Null(changes!.Since(newest - 3 * ProxyConfigChanges.MaxChain + 1));
    }

    private static readonly Comparer<ServicePortKey> Comparer = Comparer<ServicePortKey>.Create((a, b) => string.CompareOrdinal(a.Name, b.Name));

    private static IEnumerable<ServicePortKey> Keys(IEnumerable<ServicePortConfig> ports) => ports.Select(p => p.Key).Order(Comparer);
}

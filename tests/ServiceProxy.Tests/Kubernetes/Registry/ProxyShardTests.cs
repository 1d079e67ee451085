using System.Net;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary><c>--proxy-shard K/N</c>: which Services a data plane serves when several on one node share them.</summary>
public sealed class ProxyShardTests
{
    [Theory]
    [InlineData(null, 0, 1)]
    [InlineData("", 0, 1)]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData("63/64", 63, 64)]
    public void Parses_K_of_N(string? text, int index, int count) =>
        Assert.Equal(new ProxyShard(index, count), ProxyShard.Parse(text));

    [Theory]
    [InlineData("3/3", "needs 0 <= K < N <= 64")]
    [InlineData("0/0", "needs 0 <= K < N <= 64")]
    [InlineData("0/65", "needs 0 <= K < N <= 64")]
    [InlineData("-1/3", "is not K/N")]
    [InlineData("1", "is not K/N")]
    [InlineData("1/2/3", "is not K/N")]
    [InlineData(" 1/2", "is not K/N")]
    [InlineData("a/b", "is not K/N")]
    public void Refuses_anything_else(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => ProxyShard.Parse(text)).Message);

    [Fact]
    public void A_Service_has_the_same_shard_in_every_process_and_version()
    {
        // Pinned: processes of different builds on one node must agree, so the hash may never change
        // (string.GetHashCode, randomised per process, would split Services differently in each). The
        // values are XxHash32 of "namespace/name" mod 3 as the reference algorithm computes it.
        Assert.Equal([2, 0, 2, 1], [ProxyShard.Of("default", "web", 3), ProxyShard.Of("default", "db", 3), ProxyShard.Of("kube-system", "kube-dns", 3), ProxyShard.Of("default", "svc-0", 3)]);
    }

    [Fact]
    public void Every_Service_belongs_to_exactly_one_shard_and_the_shards_are_even()
    {
        var counts = new int[3];
        for (var i = 0; i < 9_000; i++)
        {
            var owners = Enumerable.Range(0, 3).Where(k => new ProxyShard(k, 3).Owns("default", $"svc-{i}")).ToList();
            counts[Assert.Single(owners)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 2_850, 3_150));
    }

    [Fact]
    public async Task A_shard_proxies_its_Services_only_and_the_shards_together_proxy_all()
    {
        var names = Enumerable.Range(0, 12).Select(i => $"svc-{i}").ToArray();
        var shards = new List<string[]>();
        for (var k = 0; k < 3; k++)
        {
            var options = new RegistryOptions { NodeAddresses = [IPAddress.Parse("192.0.2.1")], ProxyShard = $"{k}/3" };
            var store = ObjectStore.CreateInMemory(options, new TestValidator());
            using var provider = new RegistryConfigProvider(store, options);
            for (var i = 0; i < names.Length; i++)
            {
                await store.CreateAsync(Service(names[i], ServiceTypes.NodePort, Port(80, nodePort: 30_000 + i)));
            }

            var ports = provider.GetConfig().Ports;
            Assert.All(ports, p => Assert.Equal(k, ProxyShard.Of("default", p.Key.Name, 3)));
            Assert.All(ports, p => Assert.Contains(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 30_000 + Array.IndexOf(names, p.Key.Name)), p.ListenEndPoints));
            shards.Add([.. ports.Select(p => p.Key.Name)]);
        }

        Assert.Equal(names.Order(), shards.SelectMany(s => s).Order());
        Assert.All(shards, s => Assert.NotEmpty(s));
    }
}

using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpBalancingTests
{
    [Fact]
    public async Task Round_robin_over_three_backends_is_exactly_even_for_300_connections()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var b1 = TestBackend.Identified(1);
        await using var b2 = TestBackend.Identified(2);
        await using var b3 = TestBackend.Identified(3);
        await using var proxy = await ProxyHarness.StartAsync([b1.EndPoint, b2.EndPoint, b3.EndPoint]);

        var counts = new int[4];
        for (var i = 0; i < 300; i++)
        {
            counts[await IdOfAsync(proxy, client: 2, cts.Token)]++;
        }

        Assert.Equal([0, 100, 100, 100], counts);
        Assert.Equal([100, 100, 100], new[] { b1.Accepted, b2.Accepted, b3.Accepted });
    }

    [Fact]
    public async Task ClientIP_affinity_keeps_each_client_IP_on_its_backend()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var backends = await AffinityHarness.StartAsync(timeoutSeconds: 60);

        var first = await IdOfAsync(backends.Proxy, client: 2, cts.Token);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(first, await IdOfAsync(backends.Proxy, client: 2, cts.Token));
        }

        var others = new[] { await IdOfAsync(backends.Proxy, 3, cts.Token), await IdOfAsync(backends.Proxy, 4, cts.Token) };
        Assert.Equal(3, others.Append(first).Distinct().Count()); // new clients still rotate
        Assert.Equal(first, await IdOfAsync(backends.Proxy, client: 2, cts.Token));
    }

    [Fact]
    public async Task ClientIP_affinity_expires_after_its_timeout_and_rebalances()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var backends = await AffinityHarness.StartAsync(timeoutSeconds: 60);

        var first = await IdOfAsync(backends.Proxy, client: 2, cts.Token);
        backends.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first, await IdOfAsync(backends.Proxy, client: 2, cts.Token));

        backends.Time.Advance(TimeSpan.FromSeconds(61));
        var second = await IdOfAsync(backends.Proxy, client: 2, cts.Token);

        Assert.NotEqual(first, second);
        Assert.Equal(second, await IdOfAsync(backends.Proxy, client: 2, cts.Token));
    }

    [Fact]
    public async Task Removing_an_endpoint_drops_only_the_affinity_entries_pinned_to_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var backends = await AffinityHarness.StartAsync(timeoutSeconds: 600);
        var pinned = new Dictionary<int, byte>();
        foreach (var client in new[] { 2, 3, 4 })
        {
            pinned[client] = await IdOfAsync(backends.Proxy, client, cts.Token);
        }

        Assert.Equal(3, pinned.Values.Distinct().Count());

        var removed = pinned[4];
        await backends.Proxy.UpdateAsync(backends.EndPointsExcept(removed));

        Assert.Equal(pinned[2], await IdOfAsync(backends.Proxy, 2, cts.Token));
        Assert.Equal(pinned[3], await IdOfAsync(backends.Proxy, 3, cts.Token));
        var moved = await IdOfAsync(backends.Proxy, 4, cts.Token);
        Assert.NotEqual(removed, moved);
        Assert.Equal(moved, await IdOfAsync(backends.Proxy, 4, cts.Token));
    }

    [Fact]
    public async Task A_changed_affinity_timeout_applies_to_existing_entries()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var backends = await AffinityHarness.StartAsync(timeoutSeconds: 60);
        var first = await IdOfAsync(backends.Proxy, client: 2, cts.Token);

        backends.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(first, await IdOfAsync(backends.Proxy, client: 2, cts.Token)); // 60 s: still pinned

        await backends.Proxy.UpdateAsync(backends.EndPoints, AffinityConfig.ForClientIP(10));
        backends.Time.Advance(TimeSpan.FromSeconds(20));

        Assert.NotEqual(first, await IdOfAsync(backends.Proxy, client: 2, cts.Token)); // 10 s: expired
    }

    /// <summary>Connects from 127.0.0.<paramref name="client"/> and returns the id the backend greets with.</summary>
    internal static async Task<byte> IdOfAsync(ProxyHarness proxy, int client, CancellationToken cancellationToken)
    {
        using var socket = await proxy.ConnectAsync(cancellationToken, Loopback.Address(client));
        return (await Loopback.ReadExactlyAsync(socket, 1, cancellationToken))[0];
    }

    private sealed class AffinityHarness : IAsyncDisposable
    {
        private readonly TestBackend[] _backends;

        private AffinityHarness(TestBackend[] backends, ProxyHarness proxy, FakeTimeProvider time)
        {
            _backends = backends;
            Proxy = proxy;
            Time = time;
        }

        public ProxyHarness Proxy { get; }

        public FakeTimeProvider Time { get; }

        public System.Net.IPEndPoint[] EndPoints => [.. _backends.Select(b => b.EndPoint)];

        public static async Task<AffinityHarness> StartAsync(int timeoutSeconds)
        {
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            TestBackend[] backends = [TestBackend.Identified(1), TestBackend.Identified(2), TestBackend.Identified(3)];
            var proxy = await ProxyHarness.StartAsync(
                backends.Select(b => b.EndPoint), o => o.ShutdownDrainTimeout = TimeSpan.Zero,
                AffinityConfig.ForClientIP(timeoutSeconds), time);
            return new AffinityHarness(backends, proxy, time);
        }

        public System.Net.IPEndPoint[] EndPointsExcept(byte id) => [.. _backends.Where((_, i) => i + 1 != id).Select(b => b.EndPoint)];

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            foreach (var backend in _backends)
            {
                await backend.DisposeAsync();
            }
        }
    }
}

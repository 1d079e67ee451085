using System.Net.Sockets;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;
using static ServiceProxy.FunctionalTests.Tcp.TcpReconfigurationTests;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>
/// A snapshot that carries its changes is applied by those changes alone (the server does not diff
/// every port), across skipped snapshots too; one without changes, or whose changes do not reach
/// back to the applied snapshot, is diffed in full.
/// </summary>
public sealed class TcpReconcileByChangesTests
{
    private static readonly ServicePortKey KeyA = new("default", "a", "", TransportProtocol.Tcp);
    private static readonly ServicePortKey KeyB = new("default", "b", "", TransportProtocol.Tcp);

    [Fact]
    public async Task Changes_are_applied_alone_and_a_snapshot_without_them_is_diffed_in_full()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        await using var other = TestBackend.Echo();
        var a = ProxyHarness.Port([backend.EndPoint], key: KeyA);
        var b = ProxyHarness.Port([backend.EndPoint], key: KeyB);
        var provider = new ManualProvider(new ProxyConfig(1, [a, b], NeverChanges));
        await using var server = new ServiceProxyServer(provider);
        await server.StartAsync(ct);
        var listenA = server.GetStatus().Single(s => s.Key == KeyA).Listening[0];

        // Version 2 moves b's endpoints; version 3 (read without 2 ever being read) changes nothing
        // more. Their Ports leave a out: a server that diffed them in full would stop a, one that
        // applies their changes keeps it.
        var bMoved = b with { Endpoints = [other.EndPoint] };
        var two = new ProxyConfigChanges(1, [bMoved], [], previous: null);
        provider.Publish(new ProxyConfig(3, [bMoved], NeverChanges, new ProxyConfigChanges(2, [], [], two)));
        await ProxyHarness.WaitUntilAsync(() => server.GetPortProxy(KeyB)!.Config == bMoved);

        using (var throughA = await Loopback.ConnectAsync(listenA, ct))
        {
            await AssertEchoesAsync(throughA, 1, ct);
        }

        using (var throughB = await Loopback.ConnectAsync(server.GetStatus().Single(s => s.Key == KeyB).Listening[0], ct))
        {
            await AssertEchoesAsync(throughB, 2, ct);
        }

        Assert.Equal(1, other.Accepted);

        // Changes from a version the server never applied: the whole snapshot is diffed, and a goes.
        provider.Publish(new ProxyConfig(5, [bMoved], NeverChanges, new ProxyConfigChanges(4, [], [], previous: null)));
        await ProxyHarness.WaitUntilAsync(() => server.GetStatus().Count == 1);
        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectAsync(listenA, ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static IChangeToken NeverChanges => new CancellationChangeToken(CancellationToken.None);

    /// <summary>Publishes the snapshots a test builds, changes and all.</summary>
    private sealed class ManualProvider(ProxyConfig first) : IProxyConfigProvider
    {
        private ProxyConfig _config = first;
        private CancellationTokenSource _changed = new();

        public ProxyConfig GetConfig()
        {
            var config = Volatile.Read(ref _config);
            return new ProxyConfig(config.Version, config.Ports, new CancellationChangeToken(_changed.Token), config.Changes);
        }

        public void Publish(ProxyConfig config)
        {
            Volatile.Write(ref _config, config);
            var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            previous.Cancel();
        }
    }
}

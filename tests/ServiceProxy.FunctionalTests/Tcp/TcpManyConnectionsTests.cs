using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;
using Xunit.Abstractions;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>Counts this process's descriptors and heap, so nothing else may run beside it.</summary>
[CollectionDefinition(nameof(ExclusiveCollection), DisableParallelization = true)]
public sealed class ExclusiveCollection;

[Collection(nameof(ExclusiveCollection))]
public sealed class TcpManyConnectionsTests(ITestOutputHelper output)
{
    private const int Connections = 5000;

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Five_thousand_idle_connections_hold_no_buffers_and_leak_no_descriptors(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = cts.Token;
        Assert.True(ProcessResources.RaiseDescriptorLimit() >= 3 * Connections + 1000, "the descriptor limit is too low for this test");
        await using var backend = new TestBackend(LeanEchoAsync);
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));

        var descriptorsBefore = ProcessResources.OpenDescriptors();
        var heapBefore = Heap();

        await using var clients = await ExternalClients.OpenAsync(proxy.EndPoint, Connections, ct);
        await ProxyHarness.WaitUntilAsync(() => backend.Open == Connections && proxy.PortProxy.Status.ActiveConnections == Connections);
        var descriptorsHeld = ProcessResources.OpenDescriptors();
        var heapHeld = Heap();

        await clients.CloseAllAsync(ct);
        await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0 && backend.Open == 0, timeoutMs: 60_000);
        await ProxyHarness.WaitUntilAsync(() => ProcessResources.OpenDescriptors() <= descriptorsBefore + 16, timeoutMs: 30_000);
        var heapAfter = Heap();

        var perConnection = (heapHeld - heapBefore) / Connections;
        output.WriteLine($"descriptors {descriptorsBefore} -> {descriptorsHeld} -> {ProcessResources.OpenDescriptors()}; " +
                         $"heap {heapBefore >> 10} KiB -> {heapHeld >> 10} KiB ({perConnection} B per connection, proxy and backend) -> {heapAfter >> 10} KiB");
        // Client side, backend side, backend's own; other tests' sockets may still be closing meanwhile.
        Assert.InRange(descriptorsHeld - descriptorsBefore, 3 * Connections - 200, 3 * Connections + 100);
        Assert.InRange(perConnection, 0, 32 * 1024); // a held 64 KiB buffer per direction would be 128 KiB (seen: ~6 KB socket, ~15 KB pipelines)
        Assert.InRange(heapAfter - heapBefore, long.MinValue, 16L << 20);
    }

    /// <summary>Echoes without holding a buffer while idle (the backend shares this process's heap).</summary>
    private static async Task LeanEchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        while (true)
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
            if (await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken) == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            await socket.SendAsync(one, SocketFlags.None, cancellationToken);
        }
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpAccessLogTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_closed_connection_gets_one_structured_access_log_line_when_enabled(bool enabled)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var logs = new CapturingLoggerFactory();
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], o => o.AccessLog = enabled, loggerFactory: logs);

        using (var client = await proxy.ConnectAsync(ct))
        {
            await client.SendAsync(new byte[10], SocketFlags.None, ct);
            await Loopback.ReadExactlyAsync(client, 10, ct);
            client.Shutdown(SocketShutdown.Send);
            await Loopback.ReadToEndHashedAsync(client, ct);
        }

        await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0);
        var access = logs.Entries.Where(e => e.EventId.Id == 105).ToList();
        if (!enabled)
        {
            Assert.Empty(access);
            return;
        }

        var line = Assert.Single(access);
        Assert.Equal(10L, line.State["BytesFromClient"]);
        Assert.Equal(10L, line.State["BytesToClient"]);
        Assert.Equal("Completed", line.State["CloseReason"]?.ToString());
        Assert.Equal(backend.EndPoint, line.State["Endpoint"]);
        Assert.Equal(ProxyHarness.Key, line.State["ServicePort"]);
        Assert.Contains("127.0.0.1", line.Message);
    }
}

using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>A port's and the process's connection limits: the client beyond either is reset and counted; once one closes, the next is served.</summary>
public sealed class TcpMaxConnectionsTests
{
    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_port_at_its_max_connections_resets_the_next_client_until_one_closes(RelayEngine engine)
    {
        using var meters = new TestMeterFactory();
        using var refused = new MeasurementRecorder(meters, "serviceproxy.tcp.connections.refused");
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine), meterFactory: meters);
        var limited = proxy.Provider.Ports.Single() with { MaxConnections = 2 };
        proxy.Provider.Update([limited]);
        await ProxyHarness.WaitUntilAsync(() => proxy.Server.GetPortProxy(ProxyHarness.Key)?.Config.Equals(limited) == true);

        await AssertLimitAsync(proxy, refused, limit: 2, "port");
    }

    [Theory]
    [MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task The_process_at_its_max_connections_resets_the_next_client_until_one_closes(RelayEngine engine)
    {
        using var meters = new TestMeterFactory();
        using var refused = new MeasurementRecorder(meters, "serviceproxy.tcp.connections.refused");
        await using var backend = TestBackend.Echo();
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine, o => o.MaxConnections = 2), meterFactory: meters);

        await AssertLimitAsync(proxy, refused, limit: 2, "process");
    }

    private static async Task AssertLimitAsync(ProxyHarness proxy, MeasurementRecorder refused, int limit, string which)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var ct = cts.Token;
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < limit; i++)
            {
                var client = await proxy.ConnectAsync(ct);
                held.Add(client);
                await EchoAsync(client, (byte)i, ct);
            }

            Assert.Equal(SocketError.ConnectionReset, await Loopback.ConnectAndAwaitResetAsync(proxy.EndPoint, ct));
            await ProxyHarness.WaitUntilAsync(() => refused.Sum == 1);
            Assert.Equal(which, Assert.Single(refused.Measurements).Tags["serviceproxy.limit"]);

            held[0].Dispose();
            held.RemoveAt(0);
            await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == limit - 1);
            var next = await proxy.ConnectAsync(ct);
            held.Add(next);
            await EchoAsync(next, 42, ct);
            Assert.Equal(1, refused.Sum);
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }
    }

    private static async Task EchoAsync(Socket client, byte value, CancellationToken ct)
    {
        await client.SendAsync(new[] { value }, SocketFlags.None, ct);
        Assert.Equal(value, (await Loopback.ReadExactlyAsync(client, 1, ct))[0]);
    }
}

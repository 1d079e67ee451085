using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.Configuration;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>The client IP reaches the backend in a PROXY protocol header, ahead of the client's own bytes.</summary>
public sealed class TcpProxyProtocolTests
{
    [Theory]
    [InlineData(ProxyProtocolVersion.V1)]
    [InlineData(ProxyProtocolVersion.V2)]
    public async Task The_backend_learns_the_client_address_then_relays_as_usual(ProxyProtocolVersion version)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = cts.Token;
        var seen = new TaskCompletionSource<(IPEndPoint Client, IPEndPoint Proxy)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, token) =>
        {
            seen.TrySetResult(version == ProxyProtocolVersion.V1 ? await ReadV1Async(socket, token) : await ReadV2Async(socket, token));
            await TestBackend.EchoAsync(socket, token);
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint]);
        var config = proxy.Provider.Ports.Single() with { ProxyProtocol = version };
        proxy.Provider.Update([config]);
        await ProxyHarness.WaitUntilAsync(() => proxy.Server.GetPortProxy(ProxyHarness.Key)?.Config.Equals(config) == true);

        using var client = await proxy.ConnectAsync(ct, source: Loopback.Address(7));
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None, ct);

        var (clientSeen, proxySeen) = await seen.Task.WaitAsync(ct);
        Assert.Equal(client.LocalEndPoint, clientSeen);
        Assert.Equal(proxy.EndPoint, proxySeen);
        Assert.Equal("ping"u8.ToArray(), await Loopback.ReadExactlyAsync(client, 4, ct));
    }

    private static async Task<(IPEndPoint, IPEndPoint)> ReadV1Async(Socket socket, CancellationToken ct)
    {
        var line = new StringBuilder();
        for (var i = 0; i < 107 && !line.ToString().EndsWith("\r\n", StringComparison.Ordinal); i++) // the spec's maximum line length
        {
            line.Append((char)(await Loopback.ReadExactlyAsync(socket, 1, ct))[0]);
        }

        var parts = line.ToString().TrimEnd().Split(' ');
        Assert.Equal(["PROXY", "TCP4"], parts[..2]);
        return (new IPEndPoint(IPAddress.Parse(parts[2]), int.Parse(parts[4])), new IPEndPoint(IPAddress.Parse(parts[3]), int.Parse(parts[5])));
    }

    private static async Task<(IPEndPoint, IPEndPoint)> ReadV2Async(Socket socket, CancellationToken ct)
    {
        var fixedPart = await Loopback.ReadExactlyAsync(socket, 16, ct);
        Assert.Equal("\r\n\r\n\0\r\nQUIT\n"u8.ToArray(), fixedPart[..12]);
        Assert.Equal(0x21, fixedPart[12]);
        Assert.Equal(0x11, fixedPart[13]);
        var block = await Loopback.ReadExactlyAsync(socket, BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(14)), ct);
        return (
            new IPEndPoint(new IPAddress(block[..4]), BinaryPrimitives.ReadUInt16BigEndian(block.AsSpan(8))),
            new IPEndPoint(new IPAddress(block[4..8]), BinaryPrimitives.ReadUInt16BigEndian(block.AsSpan(10))));
    }
}

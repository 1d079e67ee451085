using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Tcp;

public sealed class TcpTransferTests
{
    private const long OneGiB = 1L << 30;

    [Theory]
    [InlineData(RelayEngine.Socket)]
    [InlineData(RelayEngine.Pipelines)]
    [InlineData(RelayEngine.Splice)]
    public async Task One_GiB_each_way_at_once_arrives_byte_exact(RelayEngine engine)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = cts.Token;
        var backendReceived = new TaskCompletionSource<(byte[] Hash, long Length)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var backendSent = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new TestBackend(async (socket, _) =>
        {
            var receiving = Loopback.ReadToEndHashedAsync(socket, ct);
            var sending = Loopback.SendHashedAsync(socket, OneGiB, seed: 2, ct);
            backendSent.SetResult(await sending);
            backendReceived.SetResult(await receiving);
        });
        await using var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(engine));

        using var client = await proxy.ConnectAsync(ct);
        var clientReceiving = Loopback.ReadToEndHashedAsync(client, ct);
        var clientSent = await Loopback.SendHashedAsync(client, OneGiB, seed: 1, ct);
        var (clientGot, clientLength) = await clientReceiving;

        var (backendGot, backendLength) = await backendReceived.Task.WaitAsync(ct);
        Assert.Equal(OneGiB, backendLength);
        Assert.Equal(clientSent, backendGot);
        Assert.Equal(OneGiB, clientLength);
        Assert.Equal(await backendSent.Task.WaitAsync(ct), clientGot);
    }
}

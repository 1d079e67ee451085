using System.Net.Sockets;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>A client's side of an echo through the proxy: what it sends must come back, byte for byte.</summary>
public static class EchoExchange
{
    /// <summary>
    /// Sends <paramref name="payload"/> while reading the echo, and checks every byte that comes
    /// back; <paramref name="paced"/> sends 1 KiB a millisecond apart, so each is read alone.
    /// </summary>
    public static async Task EchoThroughAsync(Socket client, byte[] payload, CancellationToken ct, bool paced = false)
    {
        var echoed = new byte[payload.Length];
        var send = paced ? SendPacedAsync(client, payload, ct) : client.SendAsync(payload, SocketFlags.None, ct).AsTask();
        await ReadExactlyAsync(client, echoed, ct);
        await send;
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "echoed bytes differ");
    }

    /// <summary>Fills <paramref name="buffer"/>; the peer closing first fails the test.</summary>
    public static async Task ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            Assert.NotEqual(0, n);
            read += n;
        }
    }

    private static async Task SendPacedAsync(Socket client, byte[] payload, CancellationToken ct)
    {
        for (var offset = 0; offset < payload.Length; offset += 1024)
        {
            await client.SendAsync(payload.AsMemory(offset, Math.Min(1024, payload.Length - offset)), SocketFlags.None, ct);
            await Task.Delay(1, ct);
        }
    }
}

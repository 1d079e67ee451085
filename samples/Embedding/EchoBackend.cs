using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Samples;

/// <summary>A TCP echo server on a free loopback port, for the samples to proxy to.</summary>
internal sealed class EchoBackend : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    private EchoBackend()
    {
        _listener.Start();
        _ = EchoAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public static EchoBackend Start() => new();

    /// <summary>A loopback port free right now, for the proxy to listen on.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Sends one line to 127.0.0.1:<paramref name="port"/> and returns what came back.</summary>
    public static async Task<string> RoundTripAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("hello through ServiceProxy\n"));
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read).TrimEnd();
    }

    public void Dispose() => _listener.Dispose();

    private async Task EchoAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return; // disposed
            }

            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    var buffer = new byte[4096];
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer)) > 0)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, n));
                    }
                }
            });
        }
    }
}

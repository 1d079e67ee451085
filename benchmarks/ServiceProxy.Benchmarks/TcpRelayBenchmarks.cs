using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ServiceProxy.Configuration;
using ServiceProxy.Tcp;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// In-process TCP relay throughput over loopback: a <see cref="ServiceProxyServer"/> with one
/// service port in front of a sink backend. One operation writes <see cref="BytesPerOperation"/>
/// bytes through the proxy in writes of <see cref="MessageSize"/> bytes and waits for the sink's
/// one-byte acknowledgement, which comes back through the proxy once every byte has arrived.
/// </summary>
[MemoryDiagnoser]
public class TcpRelayBenchmarks
{
    public const int BytesPerOperation = 1024 * 1024;

    private ServiceProxyServer _server = null!;
    private Socket _backendListener = null!;
    private Task _backendLoop = null!;
    private Socket _client = null!;
    private byte[] _message = null!;
    private byte[] _ack = null!;

    [Params(RelayEngine.Splice, RelayEngine.Socket, RelayEngine.Pipelines)]
    public RelayEngine Engine { get; set; }

    [Params(64, 4 * 1024, 64 * 1024)]
    public int MessageSize { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _backendListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _backendListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _backendListener.Listen(16);
        _backendLoop = SinkAsync(_backendListener);

        var key = new ServicePortKey("bench", "sink", "tcp", TransportProtocol.Tcp);
        var provider = new InMemoryConfigProvider(
        [
            new ServicePortConfig
            {
                Key = key,
                ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, 0)],
                Endpoints = [(IPEndPoint)_backendListener.LocalEndPoint!],
            },
        ]);
        var options = new ServiceProxyOptions();
        options.Tcp.Engine = Engine;
        _server = new ServiceProxyServer(provider, options);
        await _server.StartAsync();

        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await _client.ConnectAsync(_server.GetStatus().Single().Listening[0]);
        _message = new byte[MessageSize];
        Random.Shared.NextBytes(_message);
        _ack = new byte[1];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client.Shutdown(SocketShutdown.Send);
        _client.Dispose();
        await _server.DisposeAsync();
        _backendListener.Dispose();
        await _backendLoop;
    }

    [Benchmark]
    public async Task<int> PushOneMiB()
    {
        for (var sent = 0; sent < BytesPerOperation; sent += _message.Length)
        {
            await _client.SendAsync(_message.AsMemory(), SocketFlags.None);
        }

        return await _client.ReceiveAsync(_ack.AsMemory(), SocketFlags.None);
    }

    /// <summary>Reads everything; after each full <see cref="BytesPerOperation"/> bytes answers one byte.</summary>
    private static async Task SinkAsync(Socket listener)
    {
        Socket connection;
        try
        {
            connection = await listener.AcceptAsync();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return;
        }

        using (connection)
        {
            var buffer = new byte[256 * 1024];
            var ack = new byte[1];
            long pending = 0;
            try
            {
                int read;
                while ((read = await connection.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
                {
                    pending += read;
                    for (; pending >= BytesPerOperation; pending -= BytesPerOperation)
                    {
                        await connection.SendAsync(ack.AsMemory(), SocketFlags.None);
                    }
                }
            }
            catch (SocketException)
            {
                // The proxy went away during cleanup.
            }
        }
    }
}

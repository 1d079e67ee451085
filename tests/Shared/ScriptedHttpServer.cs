using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.Testing;

/// <summary>One request to a <see cref="ScriptedHttpServer"/>: its target, whether it asked for <c>Connection: close</c>, and where to answer.</summary>
internal sealed record ScriptedRequest(string Target, bool Close, NetworkStream Stream, CancellationToken Stopping);

/// <summary>
/// An HTTP/1.1 server on a bare loopback socket, for a test that must decide the bytes of each answer
/// and when they leave (a chunked body's end a moment after its start, a watch held open), which
/// Kestrel does not let it do. Each connection's keep-alive requests are answered in turn by the
/// script, which returns false to end the connection. At most 200 connections of 100 requests each.
/// </summary>
internal sealed class ScriptedHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Func<ScriptedRequest, Task<bool>> _answer;
    private readonly Task _serving;

    /// <summary>Starts listening and answering with <paramref name="answer"/>.</summary>
    public ScriptedHttpServer(Func<ScriptedRequest, Task<bool>> answer)
    {
        _answer = answer;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = ServeAsync(_stop.Token);
    }

    public int Port { get; }

    /// <summary>Every request's target so far, with " (Connection: close)" where it asked for that.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    public static string Head() => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

    public static string Chunk(string text) => $"{Encoding.UTF8.GetByteCount(text):x}\r\n{text}\r\n";

    public const string LastChunk = "0\r\n\r\n";

    public static string Full(string body) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    public static async Task WriteAsync(ScriptedRequest request, string text) =>
        await request.Stream.WriteAsync(Encoding.UTF8.GetBytes(text), request.Stopping);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }

    private async Task ServeAsync(CancellationToken stop)
    {
        var connections = new List<Task>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                connections.Add(ConnectionAsync(await _listener.AcceptSocketAsync(stop), stop));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The test is over.
        }

        await Task.WhenAll(connections);
    }

    private async Task ConnectionAsync(Socket socket, CancellationToken stop)
    {
        using var _ = socket;
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            for (var served = 0; served < 100; served++)
            {
                var requestLine = await reader.ReadLineAsync(stop);
                if (requestLine is null)
                {
                    return;
                }

                var close = false;
                for (var line = await reader.ReadLineAsync(stop); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync(stop))
                {
                    close |= line.Equals("Connection: close", StringComparison.OrdinalIgnoreCase);
                }

                var target = requestLine.Split(' ')[1];
                _requests.Enqueue(target + (close ? " (Connection: close)" : string.Empty));
                if (!await _answer(new ScriptedRequest(target, close, stream, stop)) || close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The client or the test went away.
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.Tests.Kubernetes.Probing;

/// <summary>A loopback HTTP/1.1 server answering each request from <c>respond(path)</c> and keeping each request's head.</summary>
internal sealed class HttpStub : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, (int Status, string? Location)> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public HttpStub(Func<string, (int Status, string? Location)> respond)
    {
        _respond = respond;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<string> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            try
            {
                await AnswerAsync(client.GetStream());
            }
            catch (IOException)
            {
                // The client gave up (a timeout test): serve the next one.
            }
        }
    }

    private async Task AnswerAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                break;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Requests.Enqueue(head.ToString());
        var path = head.ToString().Split(' ') is { Length: > 1 } parts ? parts[1] : "/";
        var (status, location) = _respond(path);
        var response = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n{(location is null ? string.Empty : $"Location: {location}\r\n")}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
    }
}

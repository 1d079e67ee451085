using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A loopback TCP server on an OS-chosen port running <paramref name="handler"/> per accepted
/// connection. It counts accepts, keeps handler failures for the test to see, and closes every
/// connection it still holds on dispose.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly ConcurrentBag<Task> _handlers = [];
    private readonly Task _loop;
    private int _accepted;

    public TestBackend(Func<Socket, CancellationToken, Task> handler, string address = "127.0.0.1", int backlog = 512)
    {
        _handler = handler;
        _listener = new Socket(IPAddress.Parse(address).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        _listener.Listen(backlog);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public int Open => _open.Count;

    /// <summary>Writes back everything it reads; half-closes after the client did.</summary>
    public static TestBackend Echo() => new(EchoAsync);

    /// <summary>Sends <paramref name="id"/> once accepted, then echoes.</summary>
    public static TestBackend Identified(byte id) => new(async (s, ct) =>
    {
        await s.SendAsync(new[] { id }, SocketFlags.None, ct);
        await EchoAsync(s, ct);
    });

    public static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>Waits for every handler run so far; rethrows the first handler failure.</summary>
    public Task WhenHandlersDone() => Task.WhenAll(_handlers);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        foreach (var socket in _open.Keys)
        {
            socket.Dispose();
        }

        await _loop;
        try
        {
            await Task.WhenAll(_handlers);
        }
        catch (Exception)
        {
            // Handlers cut short by the dispose.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _open.TryAdd(socket, 0);
            _handlers.Add(RunAsync(socket));
        }
    }

    private async Task RunAsync(Socket socket)
    {
        await Task.Yield();
        try
        {
            await _handler(socket, _stop.Token);
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Disposed while running.
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }
}

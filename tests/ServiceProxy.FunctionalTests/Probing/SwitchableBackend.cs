using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.FunctionalTests.Probing;

/// <summary>
/// A TCP "pod" on 127.0.0.1 that writes its name to each connection and closes it. Blackholed, it
/// stops accepting and its accept queue (backlog 1) is filled, so the kernel drops further SYNs: a
/// hung process, not a refusal. Restored, it accepts again (the queued connections first).
/// </summary>
internal sealed class SwitchableBackend : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly byte[] _name;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _fillers = [];
    private readonly Task _loop;
    private TaskCompletionSource _open = NewOpen(open: true);
    private int _accepted;

    public SwitchableBackend(string name)
    {
        _name = Encoding.ASCII.GetBytes(name);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Stops accepting and fills the accept queue until a connect no longer completes.</summary>
    public async Task BlackholeAsync()
    {
        _open = NewOpen(open: false);

        // The loop may sit in one accept already: give it a connection to take, then fill the queue.
        for (var i = 0; i < 16; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _fillers.Add(filler);
            using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), attempt.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        throw new InvalidOperationException("the accept queue never filled");
    }

    /// <summary>Accepts again.</summary>
    public void Restore()
    {
        _open.TrySetResult();
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _fillers.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        Restore();
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private static TaskCompletionSource NewOpen(bool open)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            source.SetResult();
        }

        return source;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await _open.Task.WaitAsync(_stop.Token);
            using var connection = await _listener.AcceptAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            try
            {
                await connection.SendAsync(_name, SocketFlags.None, _stop.Token);
                connection.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // A probe closes as soon as it is connected.
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// The load a fault test runs under: a loop of API writes (Pods named w-N, through the API nodes in
/// turn, each outcome recorded with its time) and a loop of proxied TCP connections (connect, echo 16
/// bytes, close) through one address. Both are bounded in count and time and stop on dispose.
/// </summary>
internal sealed class ClusterLoad : IAsyncDisposable
{
    private const int MaxWrites = 2000;
    private const int MaxConnections = 5000;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(90);

    private readonly CancellationTokenSource _stop = new(MaxDuration);
    private readonly ConcurrentQueue<WriteOutcome> _writes = new();
    private readonly ConcurrentQueue<string> _connectionFailures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _writeLoop;
    private readonly Task _connectionLoop;
    private int _connections;

    /// <param name="writers">The API nodes' clients, written to in turn (a function: nodes may be killed).</param>
    /// <param name="target">The Service address connections go to; null runs no connection loop.</param>
    public ClusterLoad(Func<IReadOnlyList<HttpClient>> writers, IPEndPoint? target)
    {
        _writeLoop = Task.Run(() => WriteLoopAsync(writers));
        _connectionLoop = target is null ? Task.CompletedTask : Task.Run(() => ConnectionLoopAsync(target));
    }

    /// <summary>Time since the loops started.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyCollection<WriteOutcome> Writes => _writes;

    /// <summary>The names the API acknowledged (201).</summary>
    public IEnumerable<string> Acknowledged => _writes.Where(w => w.Status == HttpStatusCode.Created).Select(w => w.Name);

    public int Connections => Volatile.Read(ref _connections);

    public IReadOnlyCollection<string> ConnectionFailures => _connectionFailures;

    /// <summary>Acknowledged writes that started at or after <paramref name="time"/>.</summary>
    public int AcknowledgedSince(TimeSpan time) => _writes.Count(w => w.Started >= time && w.Status == HttpStatusCode.Created);

    /// <summary>Waits (bounded) until <paramref name="count"/> more writes were acknowledged than now.</summary>
    public async Task WaitForAcknowledgedAsync(int count, TimeSpan bound)
    {
        var from = Now;
        await ClusterApi.UntilAsync(() => Task.FromResult(AcknowledgedSince(from) >= count), $"{count} acknowledged writes", bound);
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> more connections completed than now.</summary>
    public async Task WaitForConnectionsAsync(int count, TimeSpan bound)
    {
        var target = Connections + count;
        await ClusterApi.UntilAsync(() => Task.FromResult(Connections >= target), $"{count} proxied connections", bound);
    }

    /// <summary>Stops both loops and waits for them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_writeLoop, _connectionLoop);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task WriteLoopAsync(Func<IReadOnlyList<HttpClient>> writers)
    {
        for (var i = 0; i < MaxWrites && !_stop.IsCancellationRequested; i++)
        {
            var clients = writers();
            var name = $"w-{i}";
            var started = Now;
            HttpStatusCode? status;
            try
            {
                using var response = await clients[i % clients.Count].PostAsync(
                    "/api/v1/namespaces/default/pods", JsonContent.Create(ClusterApi.Pod(name, "writes", "127.0.0.1", ready: true)), CancellationToken.None);
                status = response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                status = null; // No answer: neither acknowledged nor refused.
            }

            _writes.Enqueue(new WriteOutcome(name, started, Now - started, status));
            await Task.Delay(50, CancellationToken.None);
        }
    }

    private async Task ConnectionLoopAsync(IPEndPoint target)
    {
        var payload = new byte[16];
        var echoed = new byte[16];
        for (var i = 0; i < MaxConnections && !_stop.IsCancellationRequested; i++)
        {
            Random.Shared.NextBytes(payload);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(target, timeout.Token);
                await socket.SendAsync(payload, SocketFlags.None, timeout.Token);
                var read = 0;
                while (read < echoed.Length)
                {
                    var n = await socket.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, timeout.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                if (read != echoed.Length || !payload.AsSpan().SequenceEqual(echoed))
                {
                    _connectionFailures.Enqueue($"{Now}: {read} of 16 bytes echoed");
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                _connectionFailures.Enqueue($"{Now}: {e.GetType().Name}: {e.Message}");
            }

            Interlocked.Increment(ref _connections);
            await Task.Delay(20, CancellationToken.None);
        }
    }
}

/// <summary>One API write: when it started, how long it took, and its status (null: no answer).</summary>
internal sealed record WriteOutcome(string Name, TimeSpan Started, TimeSpan Took, HttpStatusCode? Status);

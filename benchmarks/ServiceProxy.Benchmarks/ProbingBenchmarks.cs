using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// One second's worth of readiness probes for 5 000 Pods (tcpSocket, periodSeconds 1) through the
/// prober's scheduler, real connects to 50 loopback listeners. Each operation moves the prober's
/// clock one period on and waits until all 5 000 probes have answered: a mean well under one second
/// means one process keeps up with 5 000 Pods probed every second.
/// </summary>
[MemoryDiagnoser]
public class ProbingBenchmarks
{
    private const int Pods = 5_000;
    private const int Listeners = 50;

    private readonly List<Socket> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private FakeTimeProvider _time = null!;
    private CountingRunner _runner = null!;
    private ReadinessProber _prober = null!;
    private long _target;

    [GlobalSetup]
    public async Task Setup()
    {
        var ports = new int[Listeners];
        for (var i = 0; i < Listeners; i++)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(4096);
            _listeners.Add(listener);
            ports[i] = ((IPEndPoint)listener.LocalEndPoint!).Port;
            _ = AcceptAsync(listener);
        }

        _time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, _time);
        await ProbedPods.CreateAsync(store, Pods, ports);

        _runner = new CountingRunner();
        _prober = new ReadinessProber(store, _runner, _time);
        await _prober.StartAsync(CancellationToken.None);
        _target = Pods;
        _runner.WaitFor(_target);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _prober.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _prober.Dispose();
        _runner.Dispose();
        _stop.Cancel();
        _listeners.ForEach(l => l.Dispose());
        _stop.Dispose();
    }

    [Benchmark]
    public void ProbeFiveThousandPodsOnce()
    {
        _target += Pods;
        _time.Advance(TimeSpan.FromSeconds(1));
        _runner.WaitFor(_target);
    }

    private async Task AcceptAsync(Socket listener)
    {
        try
        {
            while (true)
            {
                using var connection = await listener.AcceptAsync(_stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Cleanup closed the listener.
        }
    }

    /// <summary>The network runner, counting answers so an operation knows when its round is done.</summary>
    private sealed class CountingRunner : IProbeRunner, IDisposable
    {
        private readonly ProbeRunner _inner = new();
        private long _done;

        public async ValueTask<ProbeOutcome> RunAsync(ProbeTarget target, CancellationToken cancellationToken)
        {
            var outcome = await _inner.RunAsync(target, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _done);
            return outcome;
        }

        public void WaitFor(long count)
        {
            var spinner = new SpinWait();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Interlocked.Read(ref _done) < count)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{Interlocked.Read(ref _done)} of {count} probes answered");
                }

                spinner.SpinOnce(sleep1Threshold: 10);
            }
        }

        public void Dispose() => _inner.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// The prober on the real clock: <c>probing-scenario [pods] [seconds]</c> (default 5 000 Pods, 10 s),
/// each with a tcpSocket readiness probe every second against 50 loopback listeners. Prints the
/// probe rate achieved, CPU per second of wall time, bytes allocated per probe, the thread count,
/// and the p50/p99 lateness of each probe after the first (how much later than one period after the
/// previous probe of the same Pod it started).
/// </summary>
internal static class ProbingScenario
{
    private const int Listeners = 50;

    public static async Task<int> RunAsync(string[] args)
    {
        var pods = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        using var stop = new CancellationTokenSource();
        var listeners = new List<Socket>();
        var ports = new int[Listeners];
        for (var i = 0; i < Listeners; i++)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(4096);
            listeners.Add(listener);
            ports[i] = ((IPEndPoint)listener.LocalEndPoint!).Port;
            _ = AcceptAsync(listener, stop.Token);
        }

        var store = ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default);
        await ProbedPods.CreateAsync(store, pods, ports);

        var runner = new TimingRunner();
        using var prober = new ReadinessProber(store, runner);
        await prober.StartAsync(CancellationToken.None);

        // One period to settle (first probes and status writes), then measure.
        await Task.Delay(TimeSpan.FromSeconds(2));
        runner.Reset();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var elapsed = wall.Elapsed;
        var probes = runner.Probes;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpu;
        var lateness = runner.Lateness();

        await prober.StopAsync(CancellationToken.None);
        runner.Dispose();
        await stop.CancelAsync();
        listeners.ForEach(l => l.Dispose());

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pods {pods}, period 1 s, measured {elapsed.TotalSeconds:F1} s on {Environment.ProcessorCount} cores"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probes/s {probes / elapsed.TotalSeconds:F0} (target {pods})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cpu {cpuUsed.TotalSeconds / elapsed.TotalSeconds * 100:F0}% of one core"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocated/probe {(probes == 0 ? 0 : bytes / probes)} B"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads {process.Threads.Count}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lateness p50 {lateness.P50.TotalMilliseconds:F1} ms, p99 {lateness.P99.TotalMilliseconds:F1} ms ({lateness.Count} intervals)"));
        return 0;
    }

    private static async Task AcceptAsync(Socket listener, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                using var connection = await listener.AcceptAsync(stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    /// <summary>The network runner, stamping each probe's start per Pod to measure intervals.</summary>
    private sealed class TimingRunner : IProbeRunner, IDisposable
    {
        private readonly ProbeRunner _inner = new();
        private readonly ConcurrentDictionary<ProbeTarget, long> _lastStart = new(ReferenceEqualityComparer.Instance);
        private readonly ConcurrentBag<long> _late = [];
        private long _probes;

        public long Probes => Interlocked.Read(ref _probes);

        public ValueTask<ProbeOutcome> RunAsync(ProbeTarget target, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            if (_lastStart.TryGetValue(target, out var last))
            {
                _late.Add(now - last - Stopwatch.Frequency);
            }

            _lastStart[target] = now;
            Interlocked.Increment(ref _probes);
            return _inner.RunAsync(target, cancellationToken);
        }

        public void Reset()
        {
            _late.Clear();
            Interlocked.Exchange(ref _probes, 0);
        }

        public (TimeSpan P50, TimeSpan P99, int Count) Lateness()
        {
            var sorted = _late.Order().ToArray();
            if (sorted.Length == 0)
            {
                return (TimeSpan.Zero, TimeSpan.Zero, 0);
            }

            TimeSpan At(double q) => Stopwatch.GetElapsedTime(0, sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)]);
            return (At(0.50), At(0.99), sorted.Length);
        }

        public void Dispose() => _inner.Dispose();
    }
}

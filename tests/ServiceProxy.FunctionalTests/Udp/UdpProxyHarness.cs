using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Udp;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>A started <see cref="UdpServicePortProxy"/> on loopback port 0 over the given backends.</summary>
internal sealed class UdpProxyHarness : IAsyncDisposable
{
    private readonly TestMeterFactory _meters = new();
    private readonly ServiceProxyMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _measurements = new();

    public UdpProxyHarness(
        IEnumerable<IPEndPoint> endpoints,
        AffinityConfig? affinity = null,
        ServiceProxyOptions? options = null,
        TimeProvider? time = null,
        IEnumerable<IPEndPoint>? listen = null,
        bool measure = true,
        ConnectionBudget? budget = null)
    {
        _metrics = new ServiceProxyMetrics(_meters);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meters.Meters.Contains(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var name = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key is "serviceproxy.reason" or "serviceproxy.direction" or "serviceproxy.limit")
                {
                    name += "/" + tag.Value;
                }
            }

            _measurements.AddOrUpdate(name, value, (_, sum) => sum + value);
        });
        if (measure)
        {
            _listener.Start();
        }

        Config = new ServicePortConfig
        {
            Key = new ServicePortKey("default", "dns", "dns-udp", TransportProtocol.Udp),
            ListenEndPoints = [.. listen ?? [new IPEndPoint(IPAddress.Loopback, 0)]],
            Endpoints = [.. endpoints],
            Affinity = affinity ?? AffinityConfig.None,
        };
        Proxy = new UdpServicePortProxy(Config, options ?? new ServiceProxyOptions(), _metrics, NullLogger.Instance, time, budget: budget);
    }

    public ServicePortConfig Config { get; }

    public UdpServicePortProxy Proxy { get; }

    public IPEndPoint EndPoint => Proxy.Status.Listening[0];

    public static async Task<UdpProxyHarness> StartAsync(
        IEnumerable<IPEndPoint> endpoints,
        AffinityConfig? affinity = null,
        ServiceProxyOptions? options = null,
        TimeProvider? time = null,
        IEnumerable<IPEndPoint>? listen = null,
        bool measure = true,
        ConnectionBudget? budget = null)
    {
        var harness = new UdpProxyHarness(endpoints, affinity, options, time, listen, measure, budget);
        await harness.Proxy.StartAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>The sum recorded on an instrument, e.g. <c>serviceproxy.udp.datagrams.dropped/no_endpoints</c>.</summary>
    public long Measured(string name) => _measurements.GetValueOrDefault(name);

    /// <summary>Polls (every 10 ms, at most 5 s) until <paramref name="condition"/> holds; fails otherwise.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "timed out waiting until " + what);
    }

    public void UpdateEndpoints(ImmutableArray<IPEndPoint> endpoints) =>
        Proxy.Update(Proxy.Config with { Endpoints = endpoints });

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync(); // stops the port, then the event loops it runs on its own
        _listener.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        public ConcurrentBag<Meter> Meters { get; } = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            Meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in Meters)
            {
                meter.Dispose();
            }
        }
    }
}

using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Udp;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>A started <see cref="UdpServicePortProxy"/> on loopback port 0 over the given backends.</summary>
internal sealed class UdpProxyHarness : IAsyncDisposable
{
    private readonly ServiceProxyMetrics _metrics = new();

    public UdpProxyHarness(
        IEnumerable<IPEndPoint> endpoints,
        AffinityConfig? affinity = null,
        ServiceProxyOptions? options = null,
        TimeProvider? time = null,
        IEnumerable<IPEndPoint>? listen = null,
        string name = "dns")
    {
        Config = new ServicePortConfig
        {
            Key = new ServicePortKey("default", name, "dns-udp", TransportProtocol.Udp),
            ListenEndPoints = [.. listen ?? [new IPEndPoint(IPAddress.Loopback, 0)]],
            Endpoints = [.. endpoints],
            Affinity = affinity ?? AffinityConfig.None,
        };
        Proxy = new UdpServicePortProxy(Config, options ?? new ServiceProxyOptions(), _metrics, NullLogger.Instance, time);
    }

    public ServicePortConfig Config { get; }

    public UdpServicePortProxy Proxy { get; }

    public IPEndPoint EndPoint => Proxy.Status.Listening[0];

    public static async Task<UdpProxyHarness> StartAsync(
        IEnumerable<IPEndPoint> endpoints,
        AffinityConfig? affinity = null,
        ServiceProxyOptions? options = null,
        TimeProvider? time = null,
        IEnumerable<IPEndPoint>? listen = null)
    {
        var harness = new UdpProxyHarness(endpoints, affinity, options, time, listen);
        await harness.Proxy.StartAsync(CancellationToken.None);
        return harness;
    }

    public void UpdateEndpoints(ImmutableArray<IPEndPoint> endpoints) =>
        Proxy.Update(Proxy.Config with { Endpoints = endpoints });

    public async ValueTask DisposeAsync()
    {
        await Proxy.StopAsync(TimeSpan.Zero, CancellationToken.None);
        _metrics.Dispose();
    }
}

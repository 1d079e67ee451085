using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;
using ServiceProxy.Tcp;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A <see cref="ServiceProxyServer"/> over an <see cref="InMemoryConfigProvider"/> with one TCP
/// service port listening on 127.0.0.1:0 (OS-chosen), plus helpers to change it and wait until applied.
/// </summary>
public sealed class ProxyHarness : IAsyncDisposable
{
    public static readonly ServicePortKey Key = new("default", "svc", "http", TransportProtocol.Tcp);

    private ProxyHarness(InMemoryConfigProvider provider, ServiceProxyServer server)
    {
        Provider = provider;
        Server = server;
    }

    public InMemoryConfigProvider Provider { get; }

    public ServiceProxyServer Server { get; }

    /// <summary>The bound listen address of <see cref="Key"/>.</summary>
    public IPEndPoint EndPoint => Server.GetStatus().Single(s => s.Key == Key).Listening[0];

    internal TcpServicePortProxy PortProxy => (TcpServicePortProxy)Server.GetPortProxy(Key)!;

    public static async Task<ProxyHarness> StartAsync(
        IEnumerable<IPEndPoint> endpoints, Action<ServiceProxyOptions>? configure = null, AffinityConfig? affinity = null,
        TimeProvider? time = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        var options = new ServiceProxyOptions();
        configure?.Invoke(options);
        var provider = new InMemoryConfigProvider([Port(endpoints, affinity)]);
        var server = new ServiceProxyServer(provider, options, loggerFactory, meterFactory, time);
        await server.StartAsync();
        return new ProxyHarness(provider, server);
    }

    public static ServicePortConfig Port(IEnumerable<IPEndPoint> endpoints, AffinityConfig? affinity = null, ServicePortKey? key = null, params IPEndPoint[] listen) => new()
    {
        Key = key ?? Key,
        ListenEndPoints = listen.Length == 0 ? [new IPEndPoint(IPAddress.Loopback, 0)] : [.. listen],
        Endpoints = [.. endpoints],
        Affinity = affinity ?? AffinityConfig.None,
    };

    public static Action<ServiceProxyOptions> Engine(RelayEngine engine, Action<ServiceProxyOptions>? more = null) => o =>
    {
        o.Tcp.Engine = engine;
        more?.Invoke(o);
    };

    /// <summary>Keeps the listen side (so the port is only updated, not restarted) and waits until the proxy has the new config.</summary>
    public async Task UpdateAsync(IEnumerable<IPEndPoint> endpoints, AffinityConfig? affinity = null)
    {
        var current = Provider.Ports.Single(p => p.Key == Key);
        var next = current with { Endpoints = [.. endpoints], Affinity = affinity ?? current.Affinity };
        Provider.Update([next]);
        await WaitUntilAsync(() => Server.GetPortProxy(Key)?.Config.Equals(next) == true);
    }

    public Task<Socket> ConnectAsync(CancellationToken cancellationToken, IPAddress? source = null) =>
        Loopback.ConnectAsync(EndPoint, cancellationToken, source);

    /// <summary>Polls <paramref name="condition"/> every 10 ms for up to 10 s; fails the test when it never holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        for (var waited = 0; !condition(); waited += 10)
        {
            if (waited >= timeoutMs)
            {
                Assert.Fail($"condition not met within {timeoutMs} ms");
            }

            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Udp;

namespace ServiceProxy.Tests.Udp;

/// <summary>A started UDP port proxy on 127.0.0.1:0 over one echo endpoint, with its own meter.</summary>
internal sealed class UdpTestPort : IAsyncDisposable
{
    private readonly Socket _echo;
    private readonly Task _echoLoop;

    private UdpTestPort(ServiceProxyOptions options, ILogger? logger, bool echo, Func<ServicePortConfig, ServicePortConfig>? configure = null)
    {
        _echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _echoLoop = echo ? EchoAsync(_echo) : Task.CompletedTask;
        Meters = new TestMeterFactory();
        Metrics = new ServiceProxyMetrics(Meters);
        Config = new ServicePortConfig
        {
            Key = new ServicePortKey("kube-system", "kube-dns", "dns", TransportProtocol.Udp),
            ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            Endpoints = [(IPEndPoint)_echo.LocalEndPoint!],
        };
        Config = configure?.Invoke(Config) ?? Config;
        Proxy = new UdpServicePortProxy(Config, options, Metrics, logger ?? NullLogger.Instance);
    }

    public TestMeterFactory Meters { get; }

    public ServiceProxyMetrics Metrics { get; }

    public ServicePortConfig Config { get; }

    public UdpServicePortProxy Proxy { get; }

    public IPEndPoint EndPoint => Proxy.Status.Listening[0];

    /// <param name="echo">False: the endpoint never answers, so nothing but the test sends on the proxy's sockets.</param>
    /// <param name="configure">Changes the port's config (listening on 127.0.0.1:0, the echo endpoint) before the proxy starts.</param>
    public static async Task<UdpTestPort> StartAsync(
        ServiceProxyOptions? options = null, ILogger? logger = null, bool echo = true, Func<ServicePortConfig, ServicePortConfig>? configure = null)
    {
        var port = new UdpTestPort(options ?? new ServiceProxyOptions(), logger, echo, configure);
        await port.Proxy.StartAsync(CancellationToken.None);
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync(); // stops the port, then the event loops it runs on its own
        _echo.Dispose();
        await _echoLoop;
        Metrics.Dispose();
        Meters.Dispose();
    }

    private static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                var n = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from);
                await socket.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, from);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
        }
    }

    internal sealed class TestMeterFactory : IMeterFactory
    {
        public Meter? Meter { get; private set; }

        public Meter Create(MeterOptions options) => Meter = new Meter(options);

        public void Dispose() => Meter?.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Udp;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// The UDP forwarding path through its seams, on an open session: one datagram from a client to
/// the endpoint, and one answer from the endpoint back to the client. Steady state allocates 0 B.
/// The endpoint and the client are sockets nobody reads: loopback sends complete at once and the
/// kernel drops what overflows their buffers, so only the proxy's work is measured.
/// </summary>
[MemoryDiagnoser]
public class UdpForwardingBenchmarks
{
    private Socket _endpoint = null!;
    private Socket _client = null!;
    private ServiceProxyMetrics _metrics = null!;
    private UdpServicePortProxy _proxy = null!;
    private UdpListener _listener = null!;
    private UdpSession _session = null!;
    private SocketAddress _clientAddress = null!;
    private byte[] _datagram = null!;

    [Params(64, 1400)]
    public int DatagramSize { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _endpoint = Bound();
        _client = Bound();
        _metrics = new ServiceProxyMetrics();
        var config = new ServicePortConfig
        {
            Key = new ServicePortKey("bench", "dns", "dns", TransportProtocol.Udp),
            ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            Endpoints = [(IPEndPoint)_endpoint.LocalEndPoint!],
        };
        _proxy = new UdpServicePortProxy(config, new ServiceProxyOptions(), _metrics, NullLogger.Instance);
        await _proxy.StartAsync(CancellationToken.None);
        _listener = _proxy.Listeners[0];
        _clientAddress = _client.LocalEndPoint!.Serialize();
        _datagram = new byte[DatagramSize];

        // The first datagram opens the session.
        await _proxy.ForwardFromClientAsync(_listener, _datagram, _clientAddress);
        if (!_proxy.Sessions.TryGet(UdpSessionKey.From(_listener.Index, _clientAddress), out var session))
        {
            throw new InvalidOperationException("no session was opened");
        }

        _session = session;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _proxy.DisposeAsync(); // stops the port, then the event loops it runs on its own
        _metrics.Dispose();
        _endpoint.Dispose();
        _client.Dispose();
    }

    [Benchmark]
    public ValueTask ClientToEndpoint() => _proxy.ForwardFromClientAsync(_listener, _datagram, _clientAddress);

    [Benchmark]
    public ValueTask EndpointToClient() => _proxy.ForwardToClientAsync(_session, _datagram);

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}

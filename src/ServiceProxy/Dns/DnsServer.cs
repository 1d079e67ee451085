using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Diagnostics;
using ServiceProxy.Dns.Internal;

namespace ServiceProxy.Dns;

/// <summary>
/// An authoritative DNS server for one <see cref="DnsZone"/>, over UDP and TCP on one port. Answers
/// are precompiled per name and type when the zone commits, so a query only copies its ID and
/// question in front of ready bytes. Names outside the zone are forwarded to upstream servers, or
/// refused when forwarding is off. Malformed queries get FORMERR, unsupported opcodes NOTIMP, other
/// classes and zone transfers REFUSED; responses and runts are dropped. UDP is served on threads of
/// the server's own (<see cref="DnsServerOptions.UdpThreads"/>), never on the data plane's event loops.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private readonly DnsZone _zone;
    private readonly DnsServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private Socket? _udp;
    private DnsUdpListener? _udpListener;
    private DnsTcpListener? _tcpListener;
    private DnsForwarder? _forwarder;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>A server for <paramref name="zone"/>; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public DnsServer(DnsZone zone, DnsServerOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(options);
        if (Validate(options).FirstOrDefault() is { } failure)
        {
            throw new ArgumentException(failure, nameof(options));
        }

        _zone = zone;
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("ServiceProxy.Dns");
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The zone answered from.</summary>
    public DnsZone Zone => _zone;

    /// <summary>Where UDP and TCP listen once started (the port chosen when 0 was asked); null before.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The upstream servers names outside the zone go to; empty when forwarding is off or none was found.</summary>
    public IReadOnlyList<IPEndPoint> Upstreams => _forwarder?.Upstreams ?? [];

    /// <summary>Every setting of <paramref name="options"/> that is wrong, as <c>Name: reason</c>.</summary>
    public static IEnumerable<string> Validate(DnsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrEmpty(options.EndPoint) && ResolvConf.ParseListen(options.EndPoint) is null)
        {
            yield return $"{nameof(options.EndPoint)}: \"{options.EndPoint}\" is not ADDR:PORT";
        }

        foreach (var upstream in options.Upstreams.Where(u => ResolvConf.ParseUpstream(u) is null))
        {
            yield return $"{nameof(options.Upstreams)}: \"{upstream}\" is not ADDR or ADDR:PORT";
        }

        if (options.ForwardTimeout <= TimeSpan.Zero || options.ForwardTimeout > TimeSpan.FromMinutes(1))
        {
            yield return $"{nameof(options.ForwardTimeout)}: {options.ForwardTimeout} is not within 0 and 1 minute";
        }

        if (options.MaxForwardsInFlight is < 1 or > 32768)
        {
            yield return $"{nameof(options.MaxForwardsInFlight)}: {options.MaxForwardsInFlight} is not within 1-32768";
        }

        if (options.MaxUdpPayload is < 512 or > 4096)
        {
            yield return $"{nameof(options.MaxUdpPayload)}: {options.MaxUdpPayload} is not within 512-4096";
        }

        if (options.UdpThreads is < 1 or > 64)
        {
            yield return $"{nameof(options.UdpThreads)}: {options.UdpThreads} is not within 1-64";
        }

        if (options.MaxTcpConnections is < 1 or > 65536)
        {
            yield return $"{nameof(options.MaxTcpConnections)}: {options.MaxTcpConnections} is not within 1-65536";
        }

        if (options.TcpIdleTimeout <= TimeSpan.Zero)
        {
            yield return $"{nameof(options.TcpIdleTimeout)}: {options.TcpIdleTimeout} is not positive";
        }
    }

    /// <summary>
    /// Binds UDP and TCP on <see cref="DnsServerOptions.EndPoint"/> and starts answering; does nothing
    /// when it is empty.
    /// </summary>
    /// <exception cref="SocketException">The address cannot be bound (in use, not local, or a privileged port without the right).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(_options.EndPoint) || Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            return Task.CompletedTask;
        }

        var endpoint = ResolvConf.ParseListen(_options.EndPoint)!;
        var (udp, tcp) = Bind(endpoint);
        _udp = udp;
        LocalEndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _forwarder = CreateForwarder(LocalEndPoint);
        var responder = new DnsResponder(_zone, _forwarder is not null, (ushort)_options.MaxUdpPayload);
        _udpListener = new DnsUdpListener(udp, responder, _forwarder, _options.UdpThreads, _logger);
        _tcpListener = new DnsTcpListener(tcp, responder, _forwarder, _options, _logger);
        _udpListener.Start();
        _tcpListener.Start();
        Log.DnsListening(_logger, _zone.Origin, LocalEndPoint, _forwarder is null ? "off" : string.Join(", ", _forwarder.Upstreams));
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and waits for the threads and connections to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        await Task.Run(() => _udpListener!.Stop()).ConfigureAwait(false);
        await _tcpListener!.StopAsync().ConfigureAwait(false);
        if (_forwarder is not null)
        {
            await _forwarder.DisposeAsync().ConfigureAwait(false);
        }

        _udp!.Dispose();
    }

    private static (Socket Udp, Socket Tcp) Bind(IPEndPoint endpoint)
    {
        // Port 0: UDP picks the port and TCP takes the same one; another process may hold it for TCP, so try a few.
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            Socket? tcp = null;
            try
            {
                udp.ReceiveBufferSize = 4 << 20;
                udp.Bind(endpoint);
                tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(new IPEndPoint(endpoint.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
                tcp.Listen(512);
                return (udp, tcp);
            }
            catch (SocketException) when (endpoint.Port == 0 && attempt < 16)
            {
                udp.Dispose();
                tcp?.Dispose();
            }
            catch
            {
                udp.Dispose();
                tcp?.Dispose();
                throw;
            }
        }
    }

    private DnsForwarder? CreateForwarder(IPEndPoint self)
    {
        if (!_options.Forward)
        {
            return null;
        }

        var upstreams = _options.Upstreams.Count > 0
            ? [.. _options.Upstreams.Select(u => ResolvConf.ParseUpstream(u)!)]
            : ResolvConf.ReadNameservers(_options.ResolvConf);
        var usable = new List<IPEndPoint>();
        foreach (var upstream in upstreams)
        {
            if (upstream.Equals(self) || (upstream.Port == self.Port && self.Address.Equals(IPAddress.Any) && IPAddress.IsLoopback(upstream.Address)))
            {
                Log.DnsUpstreamIsSelf(_logger, upstream);
                continue;
            }

            usable.Add(upstream);
        }

        if (usable.Count == 0)
        {
            Log.DnsNoUpstream(_logger, _options.ResolvConf, _zone.Origin);
            return null;
        }

        return new DnsForwarder(usable, _options.MaxForwardsInFlight, _options.ForwardTimeout, _time, _loggerFactory.CreateLogger("ServiceProxy.Dns.Forwarder"));
    }
}

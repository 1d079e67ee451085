namespace ServiceProxy.Dns;

/// <summary>Settings of a <see cref="DnsServer"/>. Every default is documented on its property.</summary>
public sealed class DnsServerOptions
{
    /// <summary>
    /// Where the server listens, UDP and TCP on the same port: <c>ADDR:PORT</c> (<c>127.100.0.10:53</c>,
    /// <c>[::1]:53</c>). Null or empty: the server is off. Port 0 takes a free port (one for both protocols).
    /// </summary>
    public string? EndPoint { get; set; }

    /// <summary>
    /// Where names outside the zone go: <c>ADDR</c> or <c>ADDR:PORT</c> (port 53 by default). Empty:
    /// the <c>nameserver</c> lines of <see cref="ResolvConf"/>.
    /// </summary>
    public IList<string> Upstreams { get; set; } = [];

    /// <summary>Forward names outside the zone to the upstreams. Default true; false answers them REFUSED.</summary>
    public bool Forward { get; set; } = true;

    /// <summary>The resolver configuration read when <see cref="Upstreams"/> is empty. Default <c>/etc/resolv.conf</c>.</summary>
    public string ResolvConf { get; set; } = "/etc/resolv.conf";

    /// <summary>How long a forwarded query waits for the upstream before the client gets SERVFAIL. Default 2 s.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Forwarded queries awaiting an upstream answer at once (1–32768); beyond it a query gets SERVFAIL at once. Default 1024.</summary>
    public int MaxForwardsInFlight { get; set; } = 1024;

    /// <summary>
    /// Largest UDP response (512–4096), announced in the EDNS0 OPT record; a client's smaller size is
    /// honoured, and a response that does not fit is truncated (TC) so the client retries over TCP.
    /// Default 1232, the DNS flag day 2020 value that avoids IP fragmentation.
    /// </summary>
    public int MaxUdpPayload { get; set; } = 1232;

    /// <summary>
    /// Threads that receive and answer UDP queries (1–64). They are the server's own, never the data
    /// plane's event loops, so a query flood takes at most these threads. Default 1.
    /// </summary>
    public int UdpThreads { get; set; } = 1;

    /// <summary>TCP connections open at once (1–65536); a connection beyond it is closed at once. Default 256.</summary>
    public int MaxTcpConnections { get; set; } = 256;

    /// <summary>How long a TCP connection may sit between queries (or within one) before it is closed. Default 10 s.</summary>
    public TimeSpan TcpIdleTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

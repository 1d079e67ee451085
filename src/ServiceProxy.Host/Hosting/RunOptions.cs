using System.Globalization;
using System.Net;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Settings of <c>svcproxy run</c>. Each comes from the command line, else the environment
/// (<c>SVCPROXY_NODE_PORT_RANGE</c>…), else appsettings.json's <c>Svcproxy</c> section, else the default shown.
/// </summary>
internal sealed class RunOptions
{
    /// <summary>Manifest files or directories (<c>-f</c>). Default none.</summary>
    public List<string> Filename { get; set; } = [];

    /// <summary>Re-apply manifests when they change. Default false.</summary>
    public bool Watch { get; set; }

    /// <summary>Addresses NodePort services listen on. Default every local address (loopback included).</summary>
    public List<string> NodeAddress { get; set; } = [];

    /// <summary>Where ClusterIPs come from. Default 127.100.0.0/16: loopback, so they work without root.</summary>
    public string ServiceCidr { get; set; } = "127.100.0.0/16";

    /// <summary>Kubernetes' default range: 30000-32767.</summary>
    public string NodePortRange { get; set; } = "30000-32767";

    /// <summary>The admin API's address. Default 127.0.0.1:8080.</summary>
    public string Admin { get; set; } = "127.0.0.1:8080";

    /// <summary>Bearer token the admin API requires; mandatory when <see cref="Admin"/> is not loopback.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Where objects created through the API are kept across restarts. Default none (in memory only).</summary>
    public string? DataDir { get; set; }

    /// <summary>Trace, Debug, Information (default), Warning, Error, Critical or None.</summary>
    public string LogLevel { get; set; } = "Information";

    /// <summary><c>text</c> (default) or <c>json</c>.</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>One log line per closed connection or UDP session. Default false.</summary>
    public bool AccessLog { get; set; }

    /// <summary>
    /// The TCP relay engine: <c>splice</c> (default; zero-copy on Linux, the socket engine
    /// elsewhere), <c>socket</c> or <c>pipelines</c>. See benchmarks/RESULTS.md for how they compare.
    /// </summary>
    public string TcpEngine { get; set; } = "splice";

    /// <summary>
    /// Splice engine: microseconds an event loop keeps polling after its last event before it
    /// sleeps (HAProxy's busy-polling), while it serves at most 16 connections. It cuts the
    /// wake-up of a sleeping thread from each hop of a round trip (TCP ping-pong: about half the
    /// latency, benchmarks/RESULTS.md), at the cost of up to one core while a few connections
    /// trickle. Default 50; 0 turns it off.
    /// </summary>
    public int BusyPollUs { get; set; } = 50;

    /// <summary>
    /// Linux event loops (splice engine, UDP): how many threads accept, dial and relay. Default 0:
    /// one per core.
    /// </summary>
    public int EventLoops { get; set; }

    /// <summary>
    /// Splice engine: accept on the event loops instead of .NET's socket thread, so a new client
    /// crosses one thread, not two: more new connections per second (benchmarks/RESULTS.md). Default on.
    /// </summary>
    public bool AcceptOnLoops { get; set; } = true;

    /// <summary>
    /// Most proxied TCP connections open at once; clients beyond it are reset. Default 0: what the
    /// descriptor limit (ulimit -n) fits with a reserve for the admin API (see ServiceProxyOptions.MaxConnections).
    /// </summary>
    public int MaxConnections { get; set; }

    public ServiceProxy.Tcp.RelayEngine RelayEngine =>
        Enum.TryParse<ServiceProxy.Tcp.RelayEngine>(TcpEngine, ignoreCase: true, out var engine) && Enum.IsDefined(engine)
            ? engine
            : throw new FormatException($"--tcp-engine \"{TcpEngine}\" is not splice, socket or pipelines");

    public IPEndPoint AdminEndPoint => ParseEndPoint(Admin, "--admin");

    public (int First, int Last) NodePorts
    {
        get
        {
            var parts = NodePortRange.Split('-', StringSplitOptions.TrimEntries);
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                && first is > 0 and <= 65535 && last >= first && last <= 65535)
            {
                return (first, last);
            }

            throw new FormatException($"--node-port-range \"{NodePortRange}\" is not FIRST-LAST within 1-65535");
        }
    }

    public Microsoft.Extensions.Logging.LogLevel MinimumLevel =>
        Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(LogLevel, ignoreCase: true, out var level)
            ? level
            : throw new FormatException($"--log-level \"{LogLevel}\" is not one of Trace, Debug, Information, Warning, Error, Critical, None");

    /// <summary>The node addresses to serve NodePorts on: the configured ones, or every local address.</summary>
    public IReadOnlyList<IPAddress> NodeAddresses =>
        NodeAddress.Count > 0
            ? [.. NodeAddress.Select(a => IPAddress.TryParse(a, out var ip) ? ip : throw new FormatException($"--node-address \"{a}\" is not an IP address"))]
            : LocalAddresses.All();

    /// <summary>Every check <c>run</c> makes before binding anything; the message says which option is wrong and how.</summary>
    public void Validate()
    {
        _ = AdminEndPoint;
        _ = NodePorts;
        _ = MinimumLevel;
        _ = NodeAddresses;
        _ = RelayEngine;
        if (BusyPollUs is < 0 or > 1_000_000)
        {
            throw new FormatException($"--busy-poll-us {BusyPollUs} is not within 0-1000000");
        }

        if (EventLoops is < 0 or > 1024)
        {
            throw new FormatException($"--event-loops {EventLoops} is not within 0-1024");
        }

        if (MaxConnections < 0)
        {
            throw new FormatException($"--max-connections {MaxConnections} is negative (0: derived from the descriptor limit)");
        }

        if (LogFormat is not ("text" or "json"))
        {
            throw new FormatException($"--log-format \"{LogFormat}\" is not text or json");
        }

        if (!IPAddress.IsLoopback(AdminEndPoint.Address) && string.IsNullOrEmpty(AdminToken))
        {
            throw new FormatException(
                $"--admin {Admin} is not a loopback address: set --admin-token (or SVCPROXY_ADMIN_TOKEN) so the admin API is not open to the network without authentication");
        }
    }

    private static IPEndPoint ParseEndPoint(string text, string option) =>
        IPEndPoint.TryParse(text, out var endPoint) && text.Contains(':')
            ? endPoint
            : throw new FormatException($"{option} \"{text}\" is not ADDRESS:PORT (e.g. 127.0.0.1:8080)");
}

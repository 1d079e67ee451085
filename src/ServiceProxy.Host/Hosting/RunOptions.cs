using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Settings of <c>svcproxy run</c>. Each comes from the command line, else the environment
/// (<c>SVCPROXY_NODE_PORT_RANGE</c>…), else appsettings.json's <c>Svcproxy</c> section, else the default shown.
/// </summary>
internal sealed class RunOptions
{
    /// <summary>Fewest bytes an admin token may have: 128 bits, as a random 16-byte secret has.</summary>
    public const int MinTokenBytes = 16;

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

    /// <summary>A file holding <see cref="AdminToken"/>, so the token is not in the process's arguments for <c>ps</c> to show.</summary>
    public string? AdminTokenFile { get; set; }

    /// <summary>PEM certificate (chain) the admin API serves HTTPS with; needs <see cref="AdminTlsKey"/>.</summary>
    public string? AdminTlsCert { get; set; }

    /// <summary>PEM private key of <see cref="AdminTlsCert"/>.</summary>
    public string? AdminTlsKey { get; set; }

    /// <summary>Host names the admin API answers besides loopback addresses, <c>localhost</c> and its own address.</summary>
    public List<string> AdminAllowedHosts { get; set; } = [];

    /// <summary>Browser origins (<c>https://host:port</c>) allowed to call the admin API. Default none.</summary>
    public List<string> AdminAllowedOrigins { get; set; } = [];

    /// <summary>kube-apiserver's option: seconds a watch without <c>timeoutSeconds</c> lasts at least (at most twice that). Default 1800.</summary>
    public int MinRequestTimeout { get; set; } = 1800;

    /// <summary>The admin token from <see cref="AdminToken"/> or <see cref="AdminTokenFile"/>; set by <see cref="Validate"/>.</summary>
    public string? ResolvedAdminToken { get; private set; }

    /// <summary>The admin API's TLS certificate with its key, when configured; set by <see cref="Validate"/>.</summary>
    public X509Certificate2? AdminCertificate { get; private set; }

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

        ValidateAdminAccess();
        if (!IPAddress.IsLoopback(AdminEndPoint.Address) && ResolvedAdminToken is null)
        {
            throw new FormatException(
                $"--admin {Admin} is not a loopback address: set --admin-token-file or --admin-token (or SVCPROXY_ADMIN_TOKEN_FILE) so the admin API is not open to the network without authentication");
        }
    }

    private void ValidateAdminAccess()
    {
        if (!string.IsNullOrEmpty(AdminToken) && !string.IsNullOrEmpty(AdminTokenFile))
        {
            throw new FormatException("set --admin-token-file or --admin-token, not both");
        }

        var (token, option) = string.IsNullOrEmpty(AdminTokenFile) ? (AdminToken, "--admin-token") : (ReadTokenFile(AdminTokenFile), "--admin-token-file");
        if (!string.IsNullOrEmpty(token) && Encoding.UTF8.GetByteCount(token) < MinTokenBytes)
        {
            throw new FormatException($"{option}: the admin token has {Encoding.UTF8.GetByteCount(token)} bytes, fewer than {MinTokenBytes} bytes (make one with: openssl rand -hex 32)");
        }

        ResolvedAdminToken = string.IsNullOrEmpty(token) ? null : token;
        if (string.IsNullOrEmpty(AdminTlsCert) != string.IsNullOrEmpty(AdminTlsKey))
        {
            throw new FormatException("--admin-tls-cert and --admin-tls-key go together: set both PEM files or neither");
        }

        if (!string.IsNullOrEmpty(AdminTlsCert))
        {
            try
            {
                AdminCertificate = X509Certificate2.CreateFromPemFile(AdminTlsCert, AdminTlsKey);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new FormatException($"--admin-tls-cert \"{AdminTlsCert}\" with --admin-tls-key \"{AdminTlsKey}\": {e.Message}");
            }
        }

        if (MinRequestTimeout is < 1 or > 86400)
        {
            throw new FormatException($"--min-request-timeout {MinRequestTimeout} is not within 1-86400 seconds");
        }

        foreach (var origin in AdminAllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
            {
                throw new FormatException($"--admin-allowed-origins \"{origin}\" is not an origin such as https://dashboard.example:8443");
            }
        }
    }

    private static string ReadTokenFile(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"--admin-token-file \"{path}\" cannot be read: {e.Message}");
        }
    }

    private static IPEndPoint ParseEndPoint(string text, string option) =>
        IPEndPoint.TryParse(text, out var endPoint) && text.Contains(':')
            ? endPoint
            : throw new FormatException($"{option} \"{text}\" is not ADDRESS:PORT (e.g. 127.0.0.1:8080)");
}

using System.Net;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// The host's own settings of <c>svcproxy run</c>, bound from the <c>Svcproxy</c> section
/// (<see cref="RunConfiguration"/>); the data plane's are <see cref="ServiceProxyOptions"/> and the
/// registry's <see cref="Kubernetes.Registry.RegistryOptions"/>. Checked by <see cref="RunOptionsValidator"/>.
/// </summary>
internal sealed class RunOptions
{
    /// <summary>Fewest bytes an admin token may have: 128 bits, as a random 16-byte secret has.</summary>
    public const int MinTokenBytes = 16;

    /// <summary>Manifest files or directories (<c>-f</c>). Default none.</summary>
    public List<string> Filename { get; set; } = [];

    /// <summary>Re-apply manifests when they change. Default false.</summary>
    public bool Watch { get; set; }

    /// <summary>
    /// Route each service CIDR to this host as local (<c>ip route add local CIDR dev lo</c>) at start and
    /// remove it on exit, so cluster IPs outside loopback, IPv6 ones included, bind with no setup. Needs
    /// CAP_NET_ADMIN. Default false.
    /// </summary>
    public bool ServiceCidrRoute { get; set; }

    /// <summary>Addresses NodePort services listen on. Default every local address (loopback included).</summary>
    public List<string> NodeAddress { get; set; } = [];

    /// <summary>The admin API's address: kube-apiserver's historical insecure port on loopback, where kubectl looks without a kubeconfig.</summary>
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

    /// <summary>kube-apiserver's option: seconds a watch without <c>timeoutSeconds</c> lasts at least (at most twice that).</summary>
    public int MinRequestTimeout { get; set; } = 1800;

    /// <summary>Where objects created through the API are kept across restarts. Default none (in memory only).</summary>
    public string? DataDir { get; set; }

    /// <summary>Trace, Debug, Information, Warning, Error, Critical or None.</summary>
    public string LogLevel { get; set; } = "Information";

    /// <summary><c>text</c> or <c>json</c>.</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>The Node this process registers; null: the host name, lower-cased.</summary>
    public string? NodeName { get; set; }

    /// <summary>What this process does, comma-separated: <c>api</c>, <c>controllers</c>, <c>proxy</c>.</summary>
    public string Roles { get; set; } = "api,controllers,proxy";

    /// <summary>The admin API is served.</summary>
    public bool ServesApi => RoleSet.Contains("api");

    /// <summary>The leader-elected controllers run here when this process leads.</summary>
    public bool RunsControllers => RoleSet.Contains("controllers");

    /// <summary>The data plane runs: Services' ports are bound and proxied.</summary>
    public bool RunsProxy => RoleSet.Contains("proxy");

    /// <summary>The roles given; <see cref="FormatException"/> naming the option for an unknown or missing one.</summary>
    public IReadOnlySet<string> RoleSet
    {
        get
        {
            var roles = Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            if (roles.Count == 0)
            {
                throw new FormatException("--roles is empty: give one or more of api, controllers, proxy");
            }

            foreach (var role in roles.Where(r => r is not ("api" or "controllers" or "proxy")))
            {
                throw new FormatException($"--roles \"{role}\" is not api, controllers or proxy");
            }

            return roles;
        }
    }

    public IPEndPoint AdminEndPoint =>
        IPEndPoint.TryParse(Admin, out var endPoint) && Admin.Contains(':')
            ? endPoint
            : throw new FormatException($"--admin \"{Admin}\" is not ADDRESS:PORT (e.g. 127.0.0.1:8080)");

    public Microsoft.Extensions.Logging.LogLevel MinimumLevel =>
        Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(LogLevel, ignoreCase: true, out var level)
            ? level
            : throw new FormatException($"--log-level \"{LogLevel}\" is not one of Trace, Debug, Information, Warning, Error, Critical, None");

    /// <summary>The node addresses to serve NodePorts on: the configured ones, or every local address.</summary>
    public IReadOnlyList<IPAddress> NodeAddresses =>
        NodeAddress.Count > 0
            ? [.. NodeAddress.Select(a => IPAddress.TryParse(a, out var ip) ? ip : throw new FormatException($"--node-address \"{a}\" is not an IP address"))]
            : LocalAddresses.All();
}

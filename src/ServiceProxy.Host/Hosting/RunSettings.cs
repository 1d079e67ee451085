using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using ServiceProxy.Dns;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Dns;
using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Nodes;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Registry.Etcd;
using ServiceProxy.Tcp;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Every <c>svcproxy run</c> setting, once: its command-line option and the configuration key it
/// sets. The key's property (on <see cref="RunOptions"/>, <see cref="ServiceProxyOptions"/> or
/// <see cref="RegistryOptions"/>) holds the default; the command line, <c>--help</c>, the environment
/// variable, the <c>Svcproxy</c> key of appsettings.json and README's table all follow from here.
/// </summary>
internal static class RunSettings
{
    /// <summary>The host's own settings (<see cref="RunOptions"/>); also where appsettings.json keeps every option by its flag's name.</summary>
    public const string HostSection = "Svcproxy";

    /// <summary><see cref="ServiceProxyOptions"/>, bound whole: <c>ServiceProxy:Tcp:IdleTimeout</c> and the rest work too.</summary>
    public const string DataPlaneSection = "ServiceProxy";

    /// <summary><see cref="RegistryOptions"/>, bound whole.</summary>
    public const string RegistrySection = "Registry";

    /// <summary><see cref="DnsServerOptions"/>, bound whole.</summary>
    public const string DnsSection = "Dns";

    /// <summary><see cref="RemoteApiOptions"/>, bound whole.</summary>
    public const string RemoteApiSection = "RemoteApi";

    public const string EnvironmentPrefix = "SVCPROXY_";

    public static IReadOnlyDictionary<string, Type> Sections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [HostSection] = typeof(RunOptions),
        [DataPlaneSection] = typeof(ServiceProxyOptions),
        [RegistrySection] = typeof(RegistryOptions),
        [DnsSection] = typeof(DnsServerOptions),
        [RemoteApiSection] = typeof(RemoteApiOptions),
    };

    public static IReadOnlyList<RunSetting> All { get; } =
    [
        new("--filename", Host(nameof(RunOptions.Filename)), "Manifest file or directory; repeatable.") { Alias = "-f" },
        new("--watch", Host(nameof(RunOptions.Watch)), "Apply manifest changes as they happen.") { Alias = "-w" },
        new("--node-address", Host(nameof(RunOptions.NodeAddress)), "Address NodePorts listen on; repeatable. Default: every local address."),
        new("--service-cidr", Registry(nameof(RegistryOptions.Allocation), nameof(AllocationOptions.ServiceCidr)), "ClusterIP ranges: one CIDR, or two of different families."),
        new("--cluster-cidr", Registry(nameof(RegistryOptions.ClusterCidr)), "The Pods' address ranges, comma-separated: under externalTrafficPolicy Local their clients reach every endpoint, as kube-proxy's."),
        new("--proxy-shard", Registry(nameof(RegistryOptions.ProxyShard)), "K/N: proxy only the Services that hash to shard K of N (0/3); N processes following one API serve them all, for more Service ports than one process has descriptors for. Default: every Service."),
        new("--node-port-range", Registry(nameof(RegistryOptions.Allocation), nameof(AllocationOptions.NodePortRange)), "NodePort range."),
        new("--admin", Host(nameof(RunOptions.Admin)), "Admin API address."),
        new("--admin-token", Host(nameof(RunOptions.AdminToken)), "Bearer token the admin API requires (mandatory off loopback)."),
        new("--data-dir", Host(nameof(RunOptions.DataDir)), "Keep objects created through the API here across restarts."),
        new("--log-level", Host(nameof(RunOptions.LogLevel)), "Trace, Debug, Information, Warning, Error, Critical or None."),
        new("--log-format", Host(nameof(RunOptions.LogFormat)), "text or json."),
        new("--access-log", DataPlane(nameof(ServiceProxyOptions.AccessLog)), "Log every closed connection and UDP session."),
        new("--tcp-engine", DataPlane(nameof(ServiceProxyOptions.Tcp), nameof(TcpProxyOptions.Engine)), "TCP relay: iouring (Linux 6.1: the event loops relaying through io_uring; splice where the kernel refuses it), splice (zero-copy event loops on Linux), socket or pipelines; on other systems the socket engine.")
        {
            Check = value => value is RelayEngine engine && Enum.IsDefined(engine) ? null : "is not splice, iouring, socket or pipelines",
        },
        new("--busy-poll-us", DataPlane(nameof(ServiceProxyOptions.EventLoops), nameof(EventLoopOptions.BusyPoll)), "Linux event loops (splice engine, UDP): microseconds a loop with few sockets polls after its last event before sleeping; 0: off.")
        {
            Microseconds = true,
            Check = value => value is TimeSpan { Ticks: >= 0 and <= TimeSpan.TicksPerSecond } ? null : "is not within 0-1000000",
        },
        new("--event-loops", DataPlane(nameof(ServiceProxyOptions.EventLoops), nameof(EventLoopOptions.Count)), "Linux event loops (splice engine, UDP): threads that accept, dial and relay; 0: one per core.")
        {
            Check = value => value is >= 0 and <= 1024 ? null : "is not within 0-1024",
        },
        new("--accept-on-loops", DataPlane(nameof(ServiceProxyOptions.Tcp), nameof(TcpProxyOptions.AcceptOnEventLoops)), "Splice engine: accept on the event loops; false accepts on .NET's socket thread, which hands clients to the loops."),
        new("--admin-token-file", Host(nameof(RunOptions.AdminTokenFile)), "File holding the admin API's bearer token (at least 16 bytes); unlike --admin-token, not visible in ps."),
        new("--admin-tls-cert", Host(nameof(RunOptions.AdminTlsCert)), "PEM certificate: serve the admin API over HTTPS (with --admin-tls-key)."),
        new("--admin-tls-key", Host(nameof(RunOptions.AdminTlsKey)), "PEM private key of --admin-tls-cert."),
        new("--admin-allowed-hosts", Host(nameof(RunOptions.AdminAllowedHosts)), "Host name the admin API answers besides loopback addresses, localhost and its own address (*.example.com for subdomains); repeatable."),
        new("--admin-allowed-origins", Host(nameof(RunOptions.AdminAllowedOrigins)), "Browser origin (https://host:port) allowed to call the admin API; repeatable."),
        new("--min-request-timeout", Host(nameof(RunOptions.MinRequestTimeout)), "Seconds a watch without timeoutSeconds lasts at least (at most twice that)."),
        new("--max-connections", DataPlane(nameof(ServiceProxyOptions.MaxConnections)), "Most proxied TCP connections at once (UDP sessions share the budget, at most as many); beyond it TCP clients are reset and new UDP flows dropped. 0: what the descriptor limit fits, with a reserve for the admin API.")
        {
            Check = value => value is >= 0 ? null : "is negative (0: derived from the descriptor limit)",
        },
        new("--loadbalancer-pool", Registry(nameof(RegistryOptions.Allocation), nameof(AllocationOptions.LoadBalancerPool)), "Addresses LoadBalancer Services get (CIDRs or addresses, comma-separated; empty: none)."),
        new("--dns", Dns(nameof(DnsServerOptions.EndPoint)), "Serve cluster DNS on ADDR:PORT, UDP and TCP (127.100.0.10:53). Default: off."),
        new("--cluster-domain", Registry(nameof(RegistryOptions.Dns), nameof(ClusterDnsOptions.ClusterDomain)), "The cluster DNS zone."),
        new("--dns-ttl", Registry(nameof(RegistryOptions.Dns), nameof(ClusterDnsOptions.Ttl)), "Seconds cluster DNS answers may be cached (0-3600)."),
        new("--dns-upstream", Dns(nameof(DnsServerOptions.Upstreams)), "ADDR[:PORT] names outside the cluster domain are forwarded to; repeatable. Default: the nameservers of /etc/resolv.conf."),
        new("--dns-forward", Dns(nameof(DnsServerOptions.Forward)), "Forward names outside the cluster domain; false answers them REFUSED."),
        new("--service-cidr-route", Host(nameof(RunOptions.ServiceCidrRoute)), "Route the service CIDRs to this host (ip route add local CIDR dev lo) while running; needs CAP_NET_ADMIN."),
        new("--node-name", Host(nameof(RunOptions.NodeName)), "The Node this process registers and keeps Ready. Default: the host name."),
        new("--node-lease-renew-interval", Registry(nameof(RegistryOptions.Node), nameof(NodeOptions.LeaseRenewInterval)), "How often this node renews its Lease in kube-node-lease (Go duration: 10s, 1m30s).")
        {
            Duration = true,
            Check = value => value is TimeSpan { Ticks: > 0 } ? null : "is not positive",
        },
        new("--node-monitor-grace-period", Registry(nameof(RegistryOptions.Node), nameof(NodeOptions.MonitorGracePeriod)), "How long a node's Lease may go unrenewed before the node lifecycle controller marks it NotReady (Go duration).")
        {
            Duration = true,
            Check = value => value is TimeSpan { Ticks: > 0 } ? null : "is not positive",
        },
        new("--roles", Host(nameof(RunOptions.Roles)), "What this process does, comma-separated: api (the admin API), controllers (the leader-elected controllers), proxy (the data plane)."),
        new("--leader-elect-lease-duration", Registry(nameof(RegistryOptions.LeaderElection), nameof(LeaderElectionOptions.LeaseDuration)), "With etcd: how long the other nodes wait after the leader stops renewing before one takes the controllers over (Go duration).")
        {
            Duration = true,
            Check = value => value is TimeSpan { Ticks: >= TimeSpan.TicksPerSecond } ? null : "is shorter than 1s",
        },
        new("--leader-elect-renew-deadline", Registry(nameof(RegistryOptions.LeaderElection), nameof(LeaderElectionOptions.RenewDeadline)), "With etcd: how long the leader keeps its controllers running without a successful renewal; shorter than the lease duration (Go duration).")
        {
            Duration = true,
            Check = value => value is TimeSpan { Ticks: > 0 } ? null : "is not positive",
        },
        new("--event-ttl", Registry(nameof(RegistryOptions.Events), nameof(EventOptions.Ttl)), "How long an Event is kept after it was last recorded (a time span, 01:00:00)."),
        new("--etcd-servers", Registry(nameof(RegistryOptions.Etcd), nameof(EtcdOptions.Servers)), "Cluster mode: etcd client URLs, comma-separated; the registry is kept there and shared by every node on it."),
        new("--etcd-prefix", Registry(nameof(RegistryOptions.Etcd), nameof(EtcdOptions.Prefix)), "Key prefix of the registry in etcd."),
        new("--etcd-cafile", Registry(nameof(RegistryOptions.Etcd), nameof(EtcdOptions.CaFile)), "PEM CA that signs the etcd members' certificates."),
        new("--etcd-certfile", Registry(nameof(RegistryOptions.Etcd), nameof(EtcdOptions.CertFile)), "PEM client certificate for etcd."),
        new("--etcd-keyfile", Registry(nameof(RegistryOptions.Etcd), nameof(EtcdOptions.KeyFile)), "PEM private key of --etcd-certfile."),
        new("--kubeconfig", RemoteApi(nameof(RemoteApiOptions.Kubeconfig)), "Follow Services and EndpointSlices from the Kubernetes API this kubeconfig names (its current context); with --roles proxy only."),
        new("--master", RemoteApi(nameof(RemoteApiOptions.Master)), "Follow the Kubernetes API at this URL (overrides the kubeconfig's server); with --roles proxy only."),
        new("--token-file", RemoteApi(nameof(RemoteApiOptions.TokenFile)), "File holding the bearer token for --master."),
        new("--remote-api-stale-after", RemoteApi(nameof(RemoteApiOptions.StaleAfter)), "How long the node may be out of touch with the followed API before /readyz fails (Go duration).")
        {
            Duration = true,
            Check = value => value is TimeSpan { Ticks: > 0 } ? null : "is not positive",
        },
        new("--remote-api-max-backoff", RemoteApi(nameof(RemoteApiOptions.MaxBackoff)), "Longest wait between attempts to reach the followed API while it fails (exponential back-off with jitter; Go duration).")
        {
            Duration = true,
            Check = value => value is TimeSpan { Ticks: > 0 } ? null : "is not positive",
        },
    ];

    /// <summary>
    /// <paramref name="failure"/> of the options bound from <paramref name="section"/> with the flag in
    /// place of the key it begins with (<c>Allocation:NodePortRange: …</c>, as the registry's checks
    /// name what they refuse).
    /// </summary>
    public static string NameFlag(string section, string failure)
    {
        foreach (var setting in All.Where(s => s.Key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)))
        {
            var key = setting.Key[(section.Length + 1)..];
            if (failure.StartsWith(key + ": ", StringComparison.OrdinalIgnoreCase))
            {
                return setting.Flag + failure[key.Length..];
            }
        }

        return failure;
    }

    /// <summary>The setting of <paramref name="flag"/> (<c>--node-port-range</c>).</summary>
    public static RunSetting Get(string flag) => All.Single(s => s.Flag == flag);

    private static string Host(string property) => $"{HostSection}:{property}";

    private static string DataPlane(params string[] path) => $"{DataPlaneSection}:{string.Join(':', path)}";

    private static string Registry(params string[] path) => $"{RegistrySection}:{string.Join(':', path)}";

    private static string Dns(params string[] path) => $"{DnsSection}:{string.Join(':', path)}";

    private static string RemoteApi(params string[] path) => $"{RemoteApiSection}:{string.Join(':', path)}";
}

/// <summary>
/// One <c>run</c> setting: <paramref name="Flag"/> on the command line sets configuration key
/// <paramref name="Key"/>, whose property holds the default.
/// </summary>
internal sealed record RunSetting(string Flag, string Key, string Description)
{
    /// <summary>The short form (<c>-f</c>), if any.</summary>
    public string? Alias { get; init; }

    /// <summary>The flag, environment variable and <c>Svcproxy</c> key take whole microseconds; the property is a <see cref="TimeSpan"/>.</summary>
    public bool Microseconds { get; init; }

    /// <summary>The flag, environment variable and <c>Svcproxy</c> key take a Go duration (<c>10s</c>, <c>1m30s</c>, <c>500ms</c>); the property is a <see cref="TimeSpan"/>.</summary>
    public bool Duration { get; init; }

    /// <summary>What is wrong with a bound value (<c>is not within 0-1024</c>), or null when it is right.</summary>
    public Func<object?, string?>? Check { get; init; }

    /// <summary><c>--node-port-range</c> → <c>SVCPROXY_NODE_PORT_RANGE</c>.</summary>
    public string EnvironmentVariable => RunSettings.EnvironmentPrefix + Flag.TrimStart('-').ToUpperInvariant().Replace('-', '_');

    /// <summary><c>--node-port-range</c> → <c>Svcproxy:NodePortRange</c>: appsettings.json's key named after the flag.</summary>
    public string FlagKey => $"{RunSettings.HostSection}:{string.Concat(Flag.TrimStart('-').Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))}";

    /// <summary>The property <see cref="Key"/> binds.</summary>
    public PropertyInfo Property
    {
        get
        {
            var path = Key.Split(':');
            var type = RunSettings.Sections[path[0]];
            PropertyInfo? property = null;
            foreach (var name in path[1..])
            {
                property = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance)
                    ?? throw new InvalidOperationException($"{Flag}: {type.Name} has no property {name} (key {Key})");
                type = property.PropertyType;
            }

            return property!;
        }
    }

    /// <summary>A list: repeatable on the command line, comma-separated in the environment.</summary>
    public bool IsList => Property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(Property.PropertyType);

    /// <summary>The type one value converts to.</summary>
    public Type ValueType => IsList ? Property.PropertyType.GetGenericArguments()[0] : Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

    /// <summary>The value the options hold when nothing sets it, in the flag's unit.</summary>
    public object? Default => ToFlagUnit(Read(Activator.CreateInstance(RunSettings.Sections[Key.Split(':')[0]])!));

    /// <summary>The bound value of this setting in <paramref name="options"/> (an instance of its section's type).</summary>
    public object? Read(object options)
    {
        object? value = options;
        var type = RunSettings.Sections[Key.Split(':')[0]];
        foreach (var name in Key.Split(':')[1..])
        {
            var property = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance)!;
            value = value is null ? null : property.GetValue(value);
            type = property.PropertyType;
        }

        return value;
    }

    /// <summary>
    /// The configuration value for <paramref name="text"/> given with the flag (microseconds become a
    /// time span); throws <see cref="FormatException"/> naming the flag when it does not convert.
    /// </summary>
    public string ToConfigurationValue(string text)
    {
        if (Microseconds)
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var microseconds)
                && Math.Abs(microseconds) <= TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond
                ? TimeSpan.FromMicroseconds(microseconds).ToString("c", CultureInfo.InvariantCulture)
                : throw new FormatException($"{Flag} \"{text}\" is not a whole number of microseconds");
        }

        if (Duration)
        {
            return GoDurationText.TryParse(text, out var duration)
                ? duration.ToString("c", CultureInfo.InvariantCulture)
                : throw new FormatException($"{Flag} \"{text}\" is not a duration (10s, 1m30s, 500ms)");
        }

        EnsureConverts(text);
        return text;
    }

    /// <summary>Throws <see cref="FormatException"/> naming the flag when <paramref name="text"/> does not convert to <see cref="ValueType"/>.</summary>
    public void EnsureConverts(string text)
    {
        if (ValueType == typeof(string))
        {
            return;
        }

        try
        {
            _ = TypeDescriptor.GetConverter(ValueType).ConvertFromInvariantString(text);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            throw new FormatException($"{Flag} \"{text}\" is not {Expected()}");
        }
    }

    /// <summary><paramref name="value"/> as the flag takes it: microseconds for a time span given in them, enum names in lower case.</summary>
    public object? ToFlagUnit(object? value) => value switch
    {
        TimeSpan span when Microseconds => span.Ticks / TimeSpan.TicksPerMicrosecond,
        TimeSpan span when Duration => GoDurationText.Format(span),
        Enum name => name.ToString().ToLowerInvariant(),
        _ => value,
    };

    /// <summary><paramref name="value"/> as a message shows it: numbers bare, text quoted.</summary>
    public string Display(object? value) => ToFlagUnit(value) switch
    {
        string text => $"\"{text}\"",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        var other => other?.ToString() ?? "null",
    };

    private string Expected() => ValueType switch
    {
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(ValueType).Select(n => n.ToLowerInvariant())),
        var t when t == typeof(bool) => "true or false",
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(TimeSpan) => "a time span (hh:mm:ss)",
        _ => "a " + ValueType.Name,
    };
}

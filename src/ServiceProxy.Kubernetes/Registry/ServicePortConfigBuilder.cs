using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Turns one Service and its Endpoints into the data plane's service ports, as kube-proxy's
/// service and endpoints change trackers do: headless and ExternalName services get none, SCTP
/// ports are skipped (userspace proxying is TCP and UDP only). A dual-stack Service (two
/// <c>ipFamilies</c>) has one listener per cluster IP and sends each family's clients to that
/// family's endpoints, as kube-proxy's two proxiers do; a single-stack one sends every client to
/// every endpoint, so an IPv4 cluster IP may front IPv6 Pods.
/// </summary>
internal static class ServicePortConfigBuilder
{
    public const string UdpIdleTimeoutAnnotation = "serviceproxy.io/udp-idle-timeout";

    public const string ProxyProtocolAnnotation = "serviceproxy.io/proxy-protocol";

    public const string MaxConnectionsAnnotation = "serviceproxy.io/max-connections";

    public const string OutlierConsecutiveFailuresAnnotation = "serviceproxy.io/outlier-consecutive-failures";

    public const string OutlierBaseEjectionSecondsAnnotation = "serviceproxy.io/outlier-base-ejection-seconds";

    public const string OutlierMaxEjectionPercentAnnotation = "serviceproxy.io/outlier-max-ejection-percent";

    public static ImmutableArray<ServicePortConfig> Build(Service service, Endpoints? endpoints, IReadOnlyList<IPAddress> nodeAddresses, ILogger logger)
    {
        var spec = service.Spec;
        if (spec.Type == ServiceTypes.ExternalName || spec.ClusterIP == "None" || spec.Ports is not { Count: > 0 })
        {
            return [];
        }

        var key = service.Key;
        var clusterIPValues = spec.ClusterIPs is { Count: > 0 } ips ? ips.Select(ip => (string?)ip) : [spec.ClusterIP];
        var clusterIPs = Addresses(clusterIPValues, key, "spec.clusterIPs", logger);
        var externalIPs = Addresses(spec.ExternalIPs ?? [], key, "spec.externalIPs", logger);
        var loadBalancerIPs = spec.Type == ServiceTypes.LoadBalancer
            ? Addresses([.. (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip)], key, "loadBalancer ingress", logger)
            : [];
        var dualStack = spec.IpFamilies is { Count: 2 };
        var usesNodePorts = spec.Type is ServiceTypes.NodePort or ServiceTypes.LoadBalancer;
        var affinity = spec.SessionAffinity == SessionAffinities.ClientIP
            ? AffinityConfig.ForClientIP(spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? SessionAffinities.DefaultTimeoutSeconds)
            : AffinityConfig.None;
        var udpIdleTimeout = UdpIdleTimeout(service, logger);
        var proxyProtocol = ProxyProtocol(service, logger);
        var maxConnections = MaxConnections(service, logger);
        var outlierDetection = OutlierAnnotations.Parse(
            service.Metadata.Annotations, (name, value, reason) => Log.InvalidOutlierAnnotation(logger, service.Key, name, value, reason));

        var ports = ImmutableArray.CreateBuilder<ServicePortConfig>(spec.Ports.Count);
        foreach (var port in spec.Ports)
        {
            var protocol = (port.Protocol ?? Protocols.Tcp) switch
            {
                Protocols.Tcp => TransportProtocol.Tcp,
                Protocols.Udp => TransportProtocol.Udp,
                _ => (TransportProtocol?)null,
            };
            if (protocol is null)
            {
                continue;
            }

            var listen = clusterIPs.Concat(externalIPs).Concat(loadBalancerIPs).Select(ip => new IPEndPoint(ip, port.Port));
            if (usesNodePorts && port.NodePort != 0)
            {
                listen = listen.Concat(nodeAddresses.Select(ip => new IPEndPoint(ip, port.NodePort)));
            }

            ports.Add(new ServicePortConfig
            {
                Key = new ServicePortKey(service.Metadata.NamespaceOrDefault, service.Metadata.Name!, port.Name ?? string.Empty, protocol.Value),
                ListenEndPoints = Sorted(listen),
                Endpoints = Sorted(ReadyEndpoints(endpoints, port)),
                Affinity = affinity,
                EndpointsByFamily = dualStack,
                UdpIdleTimeout = protocol == TransportProtocol.Udp ? udpIdleTimeout : null,
                ProxyProtocol = protocol == TransportProtocol.Tcp ? proxyProtocol : ProxyProtocolVersion.None,
                MaxConnections = protocol == TransportProtocol.Tcp ? maxConnections : null,
                OutlierDetection = protocol == TransportProtocol.Tcp ? outlierDetection : OutlierDetectionConfig.Disabled,
            });
        }

        return ports.DrainToImmutable();
    }

    /// <summary>Ready addresses × the endpoint port of the same name and protocol (the unnamed one for an unnamed service port).</summary>
    private static IEnumerable<IPEndPoint> ReadyEndpoints(Endpoints? endpoints, ServicePort servicePort)
    {
        var name = servicePort.Name ?? string.Empty;
        var protocol = servicePort.Protocol ?? Protocols.Tcp;
        foreach (var subset in endpoints?.Subsets ?? [])
        {
            var port = subset.Ports?.FirstOrDefault(p => (p.Name ?? string.Empty) == name && (p.Protocol ?? Protocols.Tcp) == protocol);
            if (port is null || port.Port is < 1 or > 65535)
            {
                continue;
            }

            foreach (var address in subset.Addresses ?? [])
            {
                if (IPAddress.TryParse(address.Ip, out var ip))
                {
                    yield return new IPEndPoint(ip, port.Port);
                }
            }
        }
    }

    private static TimeSpan? UdpIdleTimeout(Service service, ILogger logger)
    {
        if (service.Metadata.Annotations?.TryGetValue(UdpIdleTimeoutAnnotation, out var text) != true)
        {
            return null;
        }

        if (GoDuration.TryParse(text, out var timeout) && timeout > TimeSpan.Zero)
        {
            return timeout;
        }

        Log.InvalidUdpIdleTimeout(logger, service.Key, text!);
        return null;
    }

    private static ProxyProtocolVersion ProxyProtocol(Service service, ILogger logger)
    {
        if (service.Metadata.Annotations?.TryGetValue(ProxyProtocolAnnotation, out var text) != true)
        {
            return ProxyProtocolVersion.None;
        }

        switch (text?.Trim().ToLowerInvariant())
        {
            case "v1":
                return ProxyProtocolVersion.V1;
            case "v2":
                return ProxyProtocolVersion.V2;
            case "" or "none" or "false":
                return ProxyProtocolVersion.None;
            default:
                Log.InvalidProxyProtocol(logger, service.Key, text!);
                return ProxyProtocolVersion.None;
        }
    }

    private static int? MaxConnections(Service service, ILogger logger)
    {
        if (service.Metadata.Annotations?.TryGetValue(MaxConnectionsAnnotation, out var text) != true)
        {
            return null;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max) && max > 0)
        {
            return max;
        }

        Log.InvalidMaxConnections(logger, service.Key, text!);
        return null;
    }

    private static List<IPAddress> Addresses(IEnumerable<string?> values, string key, string field, ILogger logger)
    {
        var addresses = new List<IPAddress>();
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            if (IPAddress.TryParse(value, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                Log.InvalidServiceAddress(logger, key, field, value);
            }
        }

        return addresses;
    }

    private static ImmutableArray<IPEndPoint> Sorted(IEnumerable<IPEndPoint> endPoints) =>
    [
        .. endPoints
            .Distinct()
            .OrderBy(e => e.Address.GetAddressBytes(), ByteArrayComparer.Instance)
            .ThenBy(e => e.Port),
    ];
}

using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
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
/// <para>
/// Traffic policies and source ranges become listener groups (<see cref="ListenerConfig"/>), as
/// kube-proxy applies them per kind of address: <c>internalTrafficPolicy: Local</c> gives the cluster
/// IPs only this node's endpoints (those whose <c>nodeName</c> is the <c>nodeName</c> given to
/// <see cref="Build"/>); <c>externalTrafficPolicy: Local</c> does the same for node ports, external
/// IPs and load-balancer IPs; <c>loadBalancerSourceRanges</c> limits the clients of the
/// load-balancer IPs only (kube-proxy's firewall chain is jumped to from those alone, so node ports
/// and external IPs stay open), and when a range holds a node address the load-balancer IPs
/// are allowed sources too (kube-proxy's <c>allowFromNode</c>). With no local endpoint, a Local listener refuses its clients.
/// </para>
/// <para>
/// Under <c>externalTrafficPolicy: Local</c>, clients from <c>inClusterSources</c> (the cluster CIDRs
/// and the node's own addresses, <see cref="ClusterCidrs"/>) still reach every endpoint, as kube-proxy
/// short-circuits Pod and node traffic to the cluster chain.
/// </para>
/// <para>
/// Within each scope (all endpoints, or this node's), a port without ready endpoints falls back
/// to the serving endpoints of terminating Pods (<see cref="ServingTerminating"/>), as kube-proxy does.
/// </para>
/// </summary>
internal static class ServicePortConfigBuilder
{
    public const string UdpIdleTimeoutAnnotation = "serviceproxy.io/udp-idle-timeout";

    public const string ProxyProtocolAnnotation = "serviceproxy.io/proxy-protocol";

    public const string MaxConnectionsAnnotation = "serviceproxy.io/max-connections";

    public const string OutlierConsecutiveFailuresAnnotation = "serviceproxy.io/outlier-consecutive-failures";

    public const string OutlierBaseEjectionSecondsAnnotation = "serviceproxy.io/outlier-base-ejection-seconds";

    public const string OutlierMaxEjectionPercentAnnotation = "serviceproxy.io/outlier-max-ejection-percent";

    public static ImmutableArray<ServicePortConfig> Build(
        Service service, Endpoints? endpoints, IReadOnlyList<IPAddress> nodeAddresses, ILogger logger, string? nodeName = null, ImmutableArray<IPNetwork> inClusterSources = default)
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
        var internalLocal = spec.InternalTrafficPolicy == "Local";
        var externalLocal = spec.ExternalTrafficPolicy == "Local";
        var shortCircuit = externalLocal && !inClusterSources.IsDefault ? inClusterSources : [];
        if (!SourceRanges.TryGet(service, out var sourceRanges))
        {
            Log.InvalidSourceRanges(logger, key);
        }

        if (spec.Type != ServiceTypes.LoadBalancer)
        {
            sourceRanges = [];
        }
        else if (sourceRanges.Any(r => nodeAddresses.Any(r.Contains)))
        {
            // kube-proxy's allowFromNode: when the ranges admit the node itself, a load-balancer IP
            // held as a local address is a source too.
            sourceRanges = sourceRanges.AddRange(loadBalancerIPs.Select(ip => new IPNetwork(ip, ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)));
        }

        var servingTerminating = ServingTerminating.Of(endpoints);
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

            var clusterListen = clusterIPs.Select(ip => new IPEndPoint(ip, port.Port)).ToList();
            var loadBalancerListen = loadBalancerIPs.Select(ip => new IPEndPoint(ip, port.Port)).ToList();
            var externalListen = externalIPs.Select(ip => new IPEndPoint(ip, port.Port)).ToList();
            if (usesNodePorts && port.NodePort != 0)
            {
                externalListen.AddRange(nodeAddresses.Select(ip => new IPEndPoint(ip, port.NodePort)));
            }

            var listen = clusterListen.Concat(externalListen).Concat(loadBalancerListen);
            var ready = Usable(endpoints, servingTerminating, port, localTo: null);
            ImmutableArray<IPEndPoint>? local = internalLocal || externalLocal ? Usable(endpoints, servingTerminating, port, localTo: nodeName ?? string.Empty) : null;
            var listeners = ImmutableArray.CreateBuilder<ListenerConfig>();
            if (internalLocal && clusterListen.Count > 0)
            {
                listeners.Add(new ListenerConfig { ListenEndPoints = Sorted(clusterListen), Endpoints = local });
            }

            if ((externalLocal || !sourceRanges.IsEmpty) && loadBalancerListen.Count > 0)
            {
                listeners.Add(new ListenerConfig { ListenEndPoints = Sorted(loadBalancerListen), Endpoints = externalLocal ? local : null, AllowedSources = sourceRanges, ClusterSources = shortCircuit });
            }

            if (externalLocal && externalListen.Count > 0)
            {
                listeners.Add(new ListenerConfig { ListenEndPoints = Sorted(externalListen), Endpoints = local, ClusterSources = shortCircuit });
            }

            ports.Add(new ServicePortConfig
            {
                Key = new ServicePortKey(service.Metadata.NamespaceOrDefault, service.Metadata.Name!, port.Name ?? string.Empty, protocol.Value),
                ListenEndPoints = Sorted(listen),
                Endpoints = ready,
                Listeners = listeners.DrainToImmutable(),
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

    /// <summary>
    /// The endpoints one service port sends to, as kube-proxy's <c>CategorizeEndpoints</c> picks
    /// them within a traffic policy's scope (<paramref name="localTo"/>: this node's only): the
    /// ready ones, or when there are none, the serving ones whose Pod is terminating (KEP-1669).
    /// </summary>
    private static ImmutableArray<IPEndPoint> Usable(Endpoints? endpoints, IReadOnlySet<string> servingTerminating, ServicePort servicePort, string? localTo)
    {
        var ready = Sorted(EndpointsOf(endpoints, servicePort, localTo, terminating: null));
        return ready.IsEmpty && servingTerminating.Count > 0 ? Sorted(EndpointsOf(endpoints, servicePort, localTo, servingTerminating)) : ready;
    }

    /// <summary>
    /// Ready addresses (with <paramref name="terminating"/>: the not-ready addresses in it) × the
    /// endpoint port of the same name and protocol (the unnamed one for an unnamed service port);
    /// with <paramref name="localTo"/>, only the addresses on that node.
    /// </summary>
    private static IEnumerable<IPEndPoint> EndpointsOf(Endpoints? endpoints, ServicePort servicePort, string? localTo, IReadOnlySet<string>? terminating)
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

            foreach (var address in (terminating is null ? subset.Addresses : subset.NotReadyAddresses) ?? [])
            {
                if ((localTo is not null && (string.IsNullOrEmpty(localTo) || address.NodeName != localTo))
                    || (terminating is not null && !ServingTerminating.Contains(terminating, address.Ip)))
                {
                    continue;
                }

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

using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>A Kubernetes core/v1 Service.</summary>
public sealed record Service() : KubeObject("Service")
{
    /// <summary>What the Service exposes and where it sends.</summary>
    public ServiceSpec Spec { get; init; } = new();

    /// <summary>
    /// Load-balancer ingress points. The registry always writes it (<c>loadBalancer: {}</c> at least, as
    /// kube-apiserver returns it) and sets the ingress of the LoadBalancer Services of its own class;
    /// for other Services it keeps what the client sent.
    /// </summary>
    public ServiceStatus? Status { get; init; }
}

/// <summary>A Service's spec.</summary>
public sealed record ServiceSpec
{
    /// <summary><see cref="ServiceTypes"/>; defaults to <c>ClusterIP</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Allocated from the service CIDR when unset; <c>None</c> means headless.</summary>
    public string? ClusterIP { get; init; }

    /// <summary>The cluster IPs, <see cref="ClusterIP"/> first.</summary>
    public IReadOnlyList<string>? ClusterIPs { get; init; }

    /// <summary>The ports the Service exposes.</summary>
    public IReadOnlyList<ServicePort>? Ports { get; init; }

    /// <summary>The labels of the Pods behind the Service; the endpoints controller keeps its Endpoints. None: Endpoints are written by hand.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    /// <summary><see cref="SessionAffinities"/>; defaults to <c>None</c>.</summary>
    public string? SessionAffinity { get; init; }

    /// <summary>The ClientIP affinity timeout.</summary>
    public SessionAffinityConfig? SessionAffinityConfig { get; init; }

    /// <summary>More addresses the Service's ports are served on.</summary>
    public IReadOnlyList<string>? ExternalIPs { get; init; }

    /// <summary>The address asked for a LoadBalancer Service: given when it is in the load-balancer pool and free.</summary>
    public string? LoadBalancerIP { get; init; }

    /// <summary>
    /// The load-balancer implementation that gives a LoadBalancer Service its address: none or
    /// <see cref="LoadBalancerClasses.ServiceProxy"/> is ServiceProxy's pool; any other class is left to its controller.
    /// Set only on LoadBalancer Services, and fixed once set.
    /// </summary>
    public string? LoadBalancerClass { get; init; }

    /// <summary>The DNS name of an ExternalName Service (which nothing proxies).</summary>
    public string? ExternalName { get; init; }

    /// <summary><c>Cluster</c> (default) or <c>Local</c>.</summary>
    public string? ExternalTrafficPolicy { get; init; }

    /// <summary><c>IPv4</c> and/or <c>IPv6</c>, in the order of <see cref="ClusterIPs"/>.</summary>
    public IReadOnlyList<string>? IpFamilies { get; init; }

    /// <summary><c>SingleStack</c>, <c>PreferDualStack</c> or <c>RequireDualStack</c>.</summary>
    public string? IpFamilyPolicy { get; init; }

    /// <summary><c>Cluster</c> (default) or <c>Local</c>.</summary>
    public string? InternalTrafficPolicy { get; init; }

    /// <summary>Endpoints list every matching Pod as ready, ready or not (and cluster DNS publishes them all).</summary>
    public bool? PublishNotReadyAddresses { get; init; }

    /// <summary>
    /// LoadBalancer only: the client ranges (CIDRs) the load-balancer addresses accept; a client
    /// outside them is refused there. Empty: every client. NodePorts and external IPs are not
    /// filtered, as kube-proxy filters only the load-balancer addresses.
    /// </summary>
    public IReadOnlyList<string>? LoadBalancerSourceRanges { get; init; }

    /// <summary>
    /// LoadBalancer with <see cref="ExternalTrafficPolicy"/> <c>Local</c> only: the node port on which each
    /// node answers whether it has local endpoints (HTTP 200 or 503). Allocated from the NodePort
    /// range when unset. Not written when 0, as Kubernetes omits it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int HealthCheckNodePort { get; init; }
}

/// <summary>One port of a Service.</summary>
public sealed record ServicePort
{
    /// <summary>The port's name; required when the Service has more than one port.</summary>
    public string? Name { get; init; }

    /// <summary><see cref="Protocols"/>; defaults to <c>TCP</c>.</summary>
    public string? Protocol { get; init; }

    /// <summary>0 when absent (a validation error: Required value).</summary>
    public int Port { get; init; }

    /// <summary>Defaults to <see cref="Port"/>.</summary>
    public IntOrString? TargetPort { get; init; }

    /// <summary>0 when absent; allocated for NodePort and LoadBalancer services. Not written when 0, as Kubernetes omits it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int NodePort { get; init; }

    /// <summary>The application protocol, kept as sent.</summary>
    public string? AppProtocol { get; init; }
}

/// <summary>Settings of session affinity.</summary>
public sealed record SessionAffinityConfig
{
    /// <summary>Settings of ClientIP affinity.</summary>
    public ClientIPConfig? ClientIP { get; init; }
}

/// <summary>Settings of ClientIP affinity.</summary>
public sealed record ClientIPConfig
{
    /// <summary>1–86400; 10800 when ClientIP affinity is set and this is absent.</summary>
    public int? TimeoutSeconds { get; init; }
}

/// <summary>A Service's status.</summary>
public sealed record ServiceStatus
{
    /// <summary>The load balancer in front of the Service.</summary>
    public LoadBalancerStatus? LoadBalancer { get; init; }
}

/// <summary>A load balancer's ingress points.</summary>
public sealed record LoadBalancerStatus
{
    /// <summary>The ingress points; each IP is served like an external IP.</summary>
    public IReadOnlyList<LoadBalancerIngress>? Ingress { get; init; }
}

/// <summary>One ingress point of a load balancer.</summary>
public sealed record LoadBalancerIngress
{
    /// <summary>The ingress IP.</summary>
    public string? Ip { get; init; }

    /// <summary>The ingress hostname.</summary>
    public string? Hostname { get; init; }
}

/// <summary>The values of <see cref="ServiceSpec.Type"/>.</summary>
public static class ServiceTypes
{
    /// <summary>Reachable on the cluster IP only.</summary>
    public const string ClusterIP = "ClusterIP";
    /// <summary>Also on each node address at an allocated node port.</summary>
    public const string NodePort = "NodePort";
    /// <summary>A NodePort Service also reachable at its load-balancer ingress IPs.</summary>
    public const string LoadBalancer = "LoadBalancer";
    /// <summary>A DNS alias: no cluster IP, nothing proxied.</summary>
    public const string ExternalName = "ExternalName";
}

/// <summary>Values of <see cref="ServiceSpec.LoadBalancerClass"/>.</summary>
public static class LoadBalancerClasses
{
    /// <summary>ServiceProxy's own: an address from the load-balancer pool. A Service with no class gets one too.</summary>
    public const string ServiceProxy = "serviceproxy.io/loadbalancer";
}

/// <summary>The values of a port's <c>protocol</c>.</summary>
public static class Protocols
{
    /// <summary>TCP.</summary>
    public const string Tcp = "TCP";
    /// <summary>UDP.</summary>
    public const string Udp = "UDP";
    /// <summary>SCTP: accepted by validation, not proxied.</summary>
    public const string Sctp = "SCTP";
}

/// <summary>The values of <see cref="ServiceSpec.SessionAffinity"/>.</summary>
public static class SessionAffinities
{
    /// <summary>Each connection picks the next endpoint.</summary>
    public const string None = "None";
    /// <summary>A client keeps its endpoint until idle for the timeout.</summary>
    public const string ClientIP = "ClientIP";

    /// <summary>Kubernetes' default for <c>timeoutSeconds</c>: 3 hours.</summary>
    public const int DefaultTimeoutSeconds = 10800;

    /// <summary>The largest <c>timeoutSeconds</c>: one day.</summary>
    public const int MaxTimeoutSeconds = 86400;
}

/// <summary>The values of <see cref="ServiceSpec.IpFamilies"/>.</summary>
public static class IPFamilies
{
    /// <summary>An IPv4 cluster IP.</summary>
    public const string IPv4 = "IPv4";
    /// <summary>An IPv6 cluster IP.</summary>
    public const string IPv6 = "IPv6";
}

/// <summary>The values of <see cref="ServiceSpec.IpFamilyPolicy"/>.</summary>
public static class IPFamilyPolicies
{
    /// <summary>One cluster IP, of the first configured family unless <c>ipFamilies</c> names one (the default).</summary>
    public const string SingleStack = "SingleStack";
    /// <summary>Two cluster IPs when the cluster has ranges of both families, else one.</summary>
    public const string PreferDualStack = "PreferDualStack";
    /// <summary>Two cluster IPs, one per family; refused when the cluster has only one range.</summary>
    public const string RequireDualStack = "RequireDualStack";
}

using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>A Kubernetes core/v1 Service.</summary>
public sealed record Service() : KubeObject("Service")
{
    public ServiceSpec Spec { get; init; } = new();

    public ServiceStatus? Status { get; init; }
}

public sealed record ServiceSpec
{
    /// <summary><see cref="ServiceTypes"/>; defaults to <c>ClusterIP</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Allocated from the service CIDR when unset; <c>None</c> means headless.</summary>
    public string? ClusterIP { get; init; }

    public IReadOnlyList<string>? ClusterIPs { get; init; }

    public IReadOnlyList<ServicePort>? Ports { get; init; }

    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    /// <summary><see cref="SessionAffinities"/>; defaults to <c>None</c>.</summary>
    public string? SessionAffinity { get; init; }

    public SessionAffinityConfig? SessionAffinityConfig { get; init; }

    public IReadOnlyList<string>? ExternalIPs { get; init; }

    public string? LoadBalancerIP { get; init; }

    public string? ExternalName { get; init; }

    /// <summary><c>Cluster</c> (default) or <c>Local</c>.</summary>
    public string? ExternalTrafficPolicy { get; init; }

    public IReadOnlyList<string>? IpFamilies { get; init; }

    public string? IpFamilyPolicy { get; init; }

    public string? InternalTrafficPolicy { get; init; }
}

public sealed record ServicePort
{
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

    public string? AppProtocol { get; init; }
}

public sealed record SessionAffinityConfig
{
    public ClientIPConfig? ClientIP { get; init; }
}

public sealed record ClientIPConfig
{
    /// <summary>1–86400; 10800 when ClientIP affinity is set and this is absent.</summary>
    public int? TimeoutSeconds { get; init; }
}

public sealed record ServiceStatus
{
    public LoadBalancerStatus? LoadBalancer { get; init; }
}

public sealed record LoadBalancerStatus
{
    public IReadOnlyList<LoadBalancerIngress>? Ingress { get; init; }
}

public sealed record LoadBalancerIngress
{
    public string? Ip { get; init; }

    public string? Hostname { get; init; }
}

public static class ServiceTypes
{
    public const string ClusterIP = "ClusterIP";
    public const string NodePort = "NodePort";
    public const string LoadBalancer = "LoadBalancer";
    public const string ExternalName = "ExternalName";
}

public static class Protocols
{
    public const string Tcp = "TCP";
    public const string Udp = "UDP";
    public const string Sctp = "SCTP";
}

public static class SessionAffinities
{
    public const string None = "None";
    public const string ClientIP = "ClientIP";

    /// <summary>Kubernetes' default for <c>timeoutSeconds</c>: 3 hours.</summary>
    public const int DefaultTimeoutSeconds = 10800;

    public const int MaxTimeoutSeconds = 86400;
}

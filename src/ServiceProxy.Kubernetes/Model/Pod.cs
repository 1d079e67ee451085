using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// A Kubernetes core/v1 Pod, as a backend instance. No kubelet runs here: the status a client
/// sends (podIP, phase, Ready condition) is kept as sent and feeds the endpoints controller, except
/// that the readiness prober writes the readiness of Pods whose containers have a readiness probe.
/// </summary>
public sealed record Pod() : KubeObject("Pod")
{
    /// <summary>The containers and their ports.</summary>
    public PodSpec? Spec { get; init; }

    /// <summary>The IP and conditions, as the client sent them.</summary>
    public PodStatus? Status { get; init; }

    /// <summary>Ready unless a <c>Ready</c> condition says otherwise (absent means ready).</summary>
    [JsonIgnore]
    public bool IsReady =>
        Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is not { } ready
        || string.Equals(ready.Status, "True", StringComparison.Ordinal);
}

/// <summary>The part of a Pod's spec that ServiceProxy keeps.</summary>
public sealed record PodSpec
{
    /// <summary>The containers, whose named ports a Service's targetPort may name.</summary>
    public IReadOnlyList<Container>? Containers { get; init; }

    /// <summary>The node the Pod runs on, copied to its endpoint addresses.</summary>
    public string? NodeName { get; init; }

    /// <summary>The Pod's hostname.</summary>
    public string? Hostname { get; init; }
}

/// <summary>A container of a Pod.</summary>
public sealed record Container
{
    /// <summary>The container's name.</summary>
    public string? Name { get; init; }

    /// <summary>The container's image, kept as sent (nothing runs it).</summary>
    public string? Image { get; init; }

    /// <summary>The ports the container exposes.</summary>
    public IReadOnlyList<PodContainerPort>? Ports { get; init; }

    /// <summary>The probe whose result decides whether the container is ready.</summary>
    public Probe? ReadinessProbe { get; init; }
}

/// <summary>A container port (Kubernetes <c>ContainerPort</c>), which named targetPorts resolve through.</summary>
public sealed record PodContainerPort
{
    /// <summary>The port's name, which a Service's targetPort may name.</summary>
    public string? Name { get; init; }

    /// <summary>The port number.</summary>
    public int ContainerPort { get; init; }

    /// <summary><c>TCP</c>, <c>UDP</c> or <c>SCTP</c>; defaults to <c>TCP</c>.</summary>
    public string? Protocol { get; init; }
}

/// <summary>The part of a Pod's status that ServiceProxy keeps.</summary>
public sealed record PodStatus
{
    /// <summary><c>Pending</c>, <c>Running</c>, <c>Succeeded</c>, <c>Failed</c> or <c>Unknown</c>.</summary>
    public string? Phase { get; init; }

    /// <summary>The Pod's primary IP, the address of its endpoints; none while unset.</summary>
    public string? PodIP { get; init; }

    /// <summary>Every IP of the Pod, the primary first.</summary>
    public IReadOnlyList<PodIP>? PodIPs { get; init; }

    /// <summary>Conditions; <c>Ready</c> decides whether the Pod's address is ready.</summary>
    public IReadOnlyList<PodCondition>? Conditions { get; init; }

    /// <summary>Each container's readiness.</summary>
    public IReadOnlyList<ContainerStatus>? ContainerStatuses { get; init; }
}

/// <summary>One IP of a Pod.</summary>
public sealed record PodIP
{
    /// <summary>The address.</summary>
    public string? Ip { get; init; }
}

/// <summary>One condition of a Pod.</summary>
public sealed record PodCondition
{
    /// <summary>The condition's type (<c>Ready</c>).</summary>
    public string? Type { get; init; }

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c>.</summary>
    public string? Status { get; init; }

    /// <summary>A one-word reason for the condition's status.</summary>
    public string? Reason { get; init; }

    /// <summary>Why, for people.</summary>
    public string? Message { get; init; }

    /// <summary>When the status last changed.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? LastTransitionTime { get; init; }
}

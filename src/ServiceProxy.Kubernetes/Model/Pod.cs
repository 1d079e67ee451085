using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// A Kubernetes core/v1 Pod, as a backend instance. No kubelet runs here: the status a client
/// sends (podIP, phase, Ready condition) is kept as sent and feeds the endpoints controller.
/// </summary>
public sealed record Pod() : KubeObject("Pod")
{
    public PodSpec? Spec { get; init; }

    public PodStatus? Status { get; init; }

    /// <summary>Ready unless a <c>Ready</c> condition says otherwise (absent means ready).</summary>
    [JsonIgnore]
    public bool IsReady =>
        Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is not { } ready
        || string.Equals(ready.Status, "True", StringComparison.Ordinal);
}

public sealed record PodSpec
{
    public IReadOnlyList<Container>? Containers { get; init; }

    public string? NodeName { get; init; }

    public string? Hostname { get; init; }
}

public sealed record Container
{
    public string? Name { get; init; }

    public string? Image { get; init; }

    public IReadOnlyList<PodContainerPort>? Ports { get; init; }
}

/// <summary>A container port (Kubernetes <c>ContainerPort</c>), which named targetPorts resolve through.</summary>
public sealed record PodContainerPort
{
    public string? Name { get; init; }

    public int ContainerPort { get; init; }

    public string? Protocol { get; init; }
}

public sealed record PodStatus
{
    public string? Phase { get; init; }

    public string? PodIP { get; init; }

    public IReadOnlyList<PodIP>? PodIPs { get; init; }

    public IReadOnlyList<PodCondition>? Conditions { get; init; }
}

public sealed record PodIP
{
    public string? Ip { get; init; }
}

public sealed record PodCondition
{
    public string? Type { get; init; }

    public string? Status { get; init; }
}

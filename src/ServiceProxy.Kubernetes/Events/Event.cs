using System.Text.Json.Serialization;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// A Kubernetes core/v1 Event: something that happened to an object, told to an operator
/// (<c>kubectl get events</c>, the <c>Events:</c> section of <c>kubectl describe</c>). Repeats of the
/// same event are one Event whose <see cref="Count"/> grows and whose <see cref="LastTimestamp"/>
/// moves, as client-go's recorder keeps them.
/// </summary>
public sealed record Event() : KubeObject("Event")
{
    /// <summary>The <see cref="Type"/> of an event that is part of normal operation.</summary>
    public const string Normal = "Normal";

    /// <summary>The <see cref="Type"/> of an event an operator should look at.</summary>
    public const string Warning = "Warning";

    /// <summary>The object this event is about.</summary>
    public ObjectReference InvolvedObject { get; init; } = new();

    /// <summary>A short, machine-readable reason in UpperCamelCase (<c>Unhealthy</c>, <c>IPAllocated</c>).</summary>
    public string? Reason { get; init; }

    /// <summary>What happened, for people.</summary>
    public string? Message { get; init; }

    /// <summary>The component (and host) that reported it.</summary>
    public EventSource? Source { get; init; }

    /// <summary>When it was first recorded.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? FirstTimestamp { get; init; }

    /// <summary>When it was last recorded.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? LastTimestamp { get; init; }

    /// <summary>How many times it was recorded (1 for a single occurrence).</summary>
    public int Count { get; init; }

    /// <summary><see cref="Normal"/> or <see cref="Warning"/>.</summary>
    public string? Type { get; init; }

    /// <summary>The controller that reported it (the source's component).</summary>
    public string? ReportingComponent { get; init; }

    /// <summary>The instance of that controller (the source's host).</summary>
    public string? ReportingInstance { get; init; }
}

/// <summary>Who reported an event: a component, on a host.</summary>
public sealed record EventSource
{
    /// <summary>The reporting component (<c>svcproxy-prober</c>).</summary>
    public string? Component { get; init; }

    /// <summary>The host (node) it ran on.</summary>
    public string? Host { get; init; }
}

using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// A Kubernetes coordination.k8s.io/v1 Lease: who holds something, and until when. Each node's
/// heartbeat is the Lease named after it in <see cref="NodeLeaseNamespace"/>, as a kubelet's is.
/// </summary>
public sealed record Lease() : KubeObject("Lease", GroupVersion)
{
    /// <summary>The API group and version of Leases.</summary>
    public const string GroupVersion = "coordination.k8s.io/v1";

    /// <summary>The namespace of the nodes' heartbeat Leases.</summary>
    public const string NodeLeaseNamespace = "kube-node-lease";

    /// <summary>Holder, duration and times.</summary>
    public LeaseSpec? Spec { get; init; }
}

/// <summary>A Lease's holder and times.</summary>
public sealed record LeaseSpec
{
    /// <summary>Who holds the lease.</summary>
    public string? HolderIdentity { get; init; }

    /// <summary>How long, after <see cref="RenewTime"/>, candidates wait before they may take it.</summary>
    public int? LeaseDurationSeconds { get; init; }

    /// <summary>When the current holder acquired it.</summary>
    [JsonConverter(typeof(KubeMicroTimeJsonConverter))]
    public DateTimeOffset? AcquireTime { get; init; }

    /// <summary>When the holder last renewed it.</summary>
    [JsonConverter(typeof(KubeMicroTimeJsonConverter))]
    public DateTimeOffset? RenewTime { get; init; }

    /// <summary>How many times the lease changed holders.</summary>
    public int? LeaseTransitions { get; init; }

    /// <summary>The strategy for picking the next holder (coordinated leader election).</summary>
    public string? Strategy { get; init; }

    /// <summary>The holder the strategy prefers.</summary>
    public string? PreferredHolder { get; init; }
}

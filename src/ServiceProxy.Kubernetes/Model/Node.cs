using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// A Kubernetes core/v1 Node (cluster-scoped: no namespace): one svcproxy process, or any machine a
/// client registers. Its Ready condition says whether its heartbeat Lease is current.
/// </summary>
public sealed record Node() : KubeObject("Node")
{
    /// <summary>The label that names a node's role (<c>node-role.kubernetes.io/control-plane</c>); <c>kubectl get nodes</c> prints the suffixes as ROLES.</summary>
    public const string RoleLabelPrefix = "node-role.kubernetes.io/";

    /// <summary>Pod CIDRs, scheduling flag and taints.</summary>
    public NodeSpec? Spec { get; init; }

    /// <summary>Addresses, conditions and system information, as the node reports them.</summary>
    public NodeStatus? Status { get; init; }

    /// <summary>The <c>Ready</c> condition's status: <c>True</c>, <c>False</c>, <c>Unknown</c>, or null when there is none.</summary>
    [JsonIgnore]
    public string? ReadyStatus => Status?.Conditions?.FirstOrDefault(c => c.Type == NodeConditionTypes.Ready)?.Status;
}

/// <summary>The part of a Node's spec that ServiceProxy keeps.</summary>
public sealed record NodeSpec
{
    /// <summary>The node's primary pod CIDR; kept equal to the first of <see cref="PodCIDRs"/>.</summary>
    public string? PodCIDR { get; init; }

    /// <summary>At most one CIDR per IP family, the primary first.</summary>
    public IReadOnlyList<string>? PodCIDRs { get; init; }

    /// <summary>The cloud provider's id of the machine.</summary>
    public string? ProviderID { get; init; }

    /// <summary>True when no new Pod may be scheduled on the node (<c>kubectl cordon</c>).</summary>
    public bool? Unschedulable { get; init; }

    /// <summary>Taints that keep Pods without a matching toleration away.</summary>
    public IReadOnlyList<Taint>? Taints { get; init; }
}

/// <summary>A taint on a node.</summary>
public sealed record Taint
{
    /// <summary>The taint's key, a qualified name.</summary>
    public string? Key { get; init; }

    /// <summary>The taint's value, a label value.</summary>
    public string? Value { get; init; }

    /// <summary><c>NoSchedule</c>, <c>PreferNoSchedule</c> or <c>NoExecute</c>.</summary>
    public string? Effect { get; init; }

    /// <summary>When a <c>NoExecute</c> taint was added.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? TimeAdded { get; init; }
}

/// <summary>The part of a Node's status that ServiceProxy keeps.</summary>
public sealed record NodeStatus
{
    /// <summary>Resources the node has (<c>cpu</c>, <c>memory</c>, …), as quantities.</summary>
    public IReadOnlyDictionary<string, string>? Capacity { get; init; }

    /// <summary>Resources available to Pods, as quantities.</summary>
    public IReadOnlyDictionary<string, string>? Allocatable { get; init; }

    /// <summary>Conditions; <c>Ready</c> is what <c>kubectl get nodes</c> prints as STATUS.</summary>
    public IReadOnlyList<NodeCondition>? Conditions { get; init; }

    /// <summary>The node's addresses (<c>InternalIP</c>, <c>ExternalIP</c>, <c>Hostname</c>).</summary>
    public IReadOnlyList<NodeAddress>? Addresses { get; init; }

    /// <summary>Versions and identifiers of the node's system.</summary>
    public NodeSystemInfo? NodeInfo { get; init; }
}

/// <summary>One condition of a node.</summary>
public sealed record NodeCondition
{
    /// <summary>The condition's type (<c>Ready</c>).</summary>
    public string? Type { get; init; }

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c>.</summary>
    public string? Status { get; init; }

    /// <summary>When the node last reported this condition.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? LastHeartbeatTime { get; init; }

    /// <summary>When the status last changed.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? LastTransitionTime { get; init; }

    /// <summary>A one-word reason for the condition's status.</summary>
    public string? Reason { get; init; }

    /// <summary>Why, for people.</summary>
    public string? Message { get; init; }
}

/// <summary>One address of a node.</summary>
public sealed record NodeAddress
{
    /// <summary><c>InternalIP</c>, <c>ExternalIP</c>, <c>Hostname</c>, <c>InternalDNS</c> or <c>ExternalDNS</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The address.</summary>
    public string? Address { get; init; }
}

/// <summary>Versions and identifiers of a node's system (Kubernetes <c>NodeSystemInfo</c>).</summary>
public sealed record NodeSystemInfo
{
    /// <summary>The machine id (<c>/etc/machine-id</c>).</summary>
    public string? MachineID { get; init; }

    /// <summary>The system UUID.</summary>
    public string? SystemUUID { get; init; }

    /// <summary>Changes at each boot.</summary>
    public string? BootID { get; init; }

    /// <summary>The kernel release (<c>uname -r</c>).</summary>
    public string? KernelVersion { get; init; }

    /// <summary>The OS's pretty name (<c>/etc/os-release</c>).</summary>
    public string? OSImage { get; init; }

    /// <summary>The container runtime, as <c>name://version</c>.</summary>
    public string? ContainerRuntimeVersion { get; init; }

    /// <summary>The node agent's version; <c>kubectl get nodes</c> prints it as VERSION.</summary>
    public string? KubeletVersion { get; init; }

    /// <summary>The proxy's version.</summary>
    public string? KubeProxyVersion { get; init; }

    /// <summary><c>linux</c>, <c>windows</c>, …</summary>
    public string? OperatingSystem { get; init; }

    /// <summary><c>amd64</c>, <c>arm64</c>, …</summary>
    public string? Architecture { get; init; }
}

/// <summary>Node condition types and statuses Kubernetes names.</summary>
public static class NodeConditionTypes
{
    /// <summary>The node is healthy and ready to accept Pods.</summary>
    public const string Ready = "Ready";
}

namespace ServiceProxy.Kubernetes.Events;

/// <summary>The sources svcproxy's events name (kubectl describe's <c>From</c> column).</summary>
internal static class EventComponents
{
    /// <summary>The data plane: listeners and outlier detection.</summary>
    public const string Proxy = "svcproxy-proxy";

    /// <summary>ClusterIP, NodePort and LoadBalancer address allocation.</summary>
    public const string Allocator = "svcproxy-allocator";

    /// <summary>The readiness prober (the kubelet's part).</summary>
    public const string Prober = "svcproxy-prober";

    /// <summary>The node lifecycle controller, named as kube-controller-manager's.</summary>
    public const string NodeController = "node-controller";
}

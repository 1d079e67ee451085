using System.Net;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Registry.Etcd;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>Settings of the object registry and of the snapshot it feeds to the data plane.</summary>
public sealed class RegistryOptions
{
    /// <summary>Service CIDR and node port range.</summary>
    public AllocationOptions Allocation { get; set; } = new();

    /// <summary>
    /// Events kept for watches that resume from a resourceVersion; older versions get 410 Gone.
    /// Default 1000.
    /// </summary>
    public int WatchHistorySize { get; set; } = 1000;

    /// <summary>
    /// Bytes (the JSON size of their objects) the watch history may keep; the oldest events go first
    /// once it is reached, so a run of big objects cannot pin memory. Default 64 MiB.
    /// </summary>
    public long WatchHistoryMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Events buffered per watcher; a watcher that falls this far behind is ended with Gone (the
    /// client relists) rather than buffered without bound. Default 1000.
    /// </summary>
    public int WatchBufferSize { get; set; } = 1000;

    /// <summary>
    /// Bytes (the JSON size of their objects, measured as the watch history measures them) buffered per
    /// watcher; a watcher this far behind is ended as one <see cref="WatchBufferSize"/> events behind is,
    /// and what it held is let go. One event always fits, however big. Default 8 MiB.
    /// </summary>
    public long WatchBufferMaxBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// This node's addresses: NodePort and LoadBalancer services listen on each of them at their
    /// node ports. Default none (no node port listeners); the host passes its <c>--node-address</c> list.
    /// </summary>
    public IList<IPAddress> NodeAddresses { get; set; } = [];

    /// <summary>
    /// Cluster mode: with <see cref="EtcdOptions.Servers"/> set, the registry is kept in etcd and shared
    /// by every node that names the same servers and prefix; otherwise it is in memory. Default none.
    /// </summary>
    public EtcdOptions Etcd { get; set; } = new();
}

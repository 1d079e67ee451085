using System.Net;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Dns;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Nodes;
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
    /// The Pods' address ranges, comma-separated (kube-proxy's <c>--cluster-cidr</c>): under
    /// <c>externalTrafficPolicy: Local</c>, clients from them (and from the node's own addresses) reach
    /// every endpoint through node ports, external IPs and load-balancer IPs. Default none.
    /// </summary>
    public string? ClusterCidr { get; set; }

    /// <summary>
    /// <c>K/N</c>: the data plane (and the health-check node ports) of this process serves only the
    /// Services whose namespace and name hash to shard K of N; N processes on one node, each following
    /// the same API with its own K, serve every Service between them. For more Service ports than one
    /// process has descriptors for. Default none: every Service.
    /// </summary>
    public string? ProxyShard { get; set; }

    /// <summary>The cluster DNS zone built from the registry: its domain and TTL.</summary>
    public ClusterDnsOptions Dns { get; set; } = new();

    /// <summary>The event recorder: how long Events are kept, how many, and its rate limits.</summary>
    public EventOptions Events { get; set; } = new();
    /// <summary>This process's Node (name, roles, heartbeat) and the node lifecycle controller's timing.</summary>
    public NodeOptions Node { get; set; } = new();

    /// <summary>Which process runs the controllers (endpoints, node lifecycle, readiness probes) when several share an etcd cluster.</summary>
    public LeaderElectionOptions LeaderElection { get; set; } = new();

    /// <summary>
    /// Whether this process may run the controllers (endpoints, node lifecycle, readiness probes). False:
    /// it never campaigns, and leaves them to the processes that do. Default true.
    /// </summary>
    public bool RunControllers { get; set; } = true;

    /// <summary>
    /// Cluster mode: with <see cref="EtcdOptions.Servers"/> set, the registry is kept in etcd and shared
    /// by every node that names the same servers and prefix; otherwise it is in memory. Default none.
    /// </summary>
    public EtcdOptions Etcd { get; set; } = new();
}

using System.Globalization;
using System.Net;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Printing;

/// <summary>One column of a table, as meta.k8s.io/v1 TableColumnDefinition describes it; priority 1 is <c>-o wide</c> only.</summary>
internal sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority = 0);

/// <summary>
/// kubectl's columns and cells for services, endpoints, pods, nodes and leases (kubernetes/pkg/printers/internalversion):
/// used by <c>svcproxy get</c> and by the API's Table responses so both print the same thing.
/// </summary>
internal static class ResourceTables
{
    private static readonly TableColumn Name = new("Name", "string", "name", "Name must be unique within a namespace.");
    private static readonly TableColumn Age = new("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.");

    public static IReadOnlyList<TableColumn> Columns(string kind) => kind switch
    {
        "Service" =>
        [
            Name,
            new("Type", "string", "", "The type of the service."),
            new("Cluster-IP", "string", "", "The cluster IP of the service."),
            new("External-IP", "string", "", "The external IP of the service."),
            new("Port(s)", "string", "", "The ports of the service."),
            Age,
            new("Selector", "string", "", "The selector of the service.", 1),
        ],
        "Endpoints" => [Name, new("Endpoints", "string", "", "Endpoints of the service."), Age],
        "Pod" =>
        [
            Name,
            new("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic."),
            new("Status", "string", "", "The aggregate status of the containers in this pod."),
            new("Restarts", "string", "", "The number of times the containers in this pod have been restarted."),
            Age,
            new("IP", "string", "", "The IP address of the pod.", 1),
            new("Node", "string", "", "The name of the node this pod is scheduled on.", 1),
            new("Nominated Node", "string", "", "The name of the node where this pod may be placed.", 1),
            new("Readiness Gates", "string", "", "The readiness gates of this pod.", 1),
        ],
        "Node" =>
        [
            Name,
            new("Status", "string", "", "The status of the node"),
            new("Roles", "string", "", "The roles of the node"),
            Age,
            new("Version", "string", "", "Kubelet Version reported by the node."),
            new("Internal-IP", "string", "", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
            new("External-IP", "string", "", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
            new("OS-Image", "string", "", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
            new("Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
            new("Container-Runtime", "string", "", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
        ],
        "Lease" => [Name, new("Holder", "string", "", "holderIdentity contains the identity of the holder of a current lease."), Age],
        _ => [Name, Age],
    };

    /// <summary>Every cell of <see cref="Columns"/> for <paramref name="obj"/>, wide ones included.</summary>
    public static IReadOnlyList<string> Cells(KubeObject obj, DateTimeOffset now) => obj switch
    {
        Service s =>
        [
            s.Metadata.Name ?? string.Empty,
            s.Spec.Type ?? ServiceTypes.ClusterIP,
            ClusterIP(s),
            ExternalIP(s, wide: false),
            Ports(s.Spec.Ports),
            HumanDuration.Since(s.Metadata.CreationTimestamp, now),
            Labels(s.Spec.Selector),
        ],
        Endpoints e => [e.Metadata.Name ?? string.Empty, FormatEndpoints(e, portName: null), HumanDuration.Since(e.Metadata.CreationTimestamp, now)],
        Pod p =>
        [
            p.Metadata.Name ?? string.Empty,
            PodReady(p),
            p.Status?.Phase ?? "Unknown",
            "0",
            HumanDuration.Since(p.Metadata.CreationTimestamp, now),
            p.Status?.PodIP ?? "<none>",
            p.Spec?.NodeName ?? "<none>",
            "<none>",
            "<none>",
        ],
        Node n =>
        [
            n.Metadata.Name ?? string.Empty,
            NodeStatusCell(n),
            NodeRoles(n),
            HumanDuration.Since(n.Metadata.CreationTimestamp, now),
            n.Status?.NodeInfo?.KubeletVersion ?? string.Empty,
            NodeAddressCell(n, "InternalIP"),
            NodeAddressCell(n, "ExternalIP"),
            Unknown(n.Status?.NodeInfo?.OSImage),
            Unknown(n.Status?.NodeInfo?.KernelVersion),
            Unknown(n.Status?.NodeInfo?.ContainerRuntimeVersion),
        ],
        Lease l => [l.Metadata.Name ?? string.Empty, l.Spec?.HolderIdentity ?? "<unknown>", HumanDuration.Since(l.Metadata.CreationTimestamp, now)],
        _ => [obj.Metadata.Name ?? string.Empty, HumanDuration.Since(obj.Metadata.CreationTimestamp, now)],
    };

    /// <summary>
    /// STATUS (kubectl's printNode): <c>Ready</c>, <c>NotReady</c> for any other Ready status,
    /// <c>Unknown</c> without a Ready condition; <c>,SchedulingDisabled</c> when cordoned.
    /// </summary>
    public static string NodeStatusCell(Node node)
    {
        var status = node.ReadyStatus switch
        {
            null => "Unknown",
            "True" => "Ready",
            _ => "NotReady",
        };
        return node.Spec?.Unschedulable == true ? status + ",SchedulingDisabled" : status;
    }

    /// <summary>ROLES: the suffixes of <c>node-role.kubernetes.io/</c> labels and the value of <c>kubernetes.io/role</c>, sorted, or <c>&lt;none&gt;</c>.</summary>
    public static string NodeRoles(Node node)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in node.Metadata.Labels ?? new Dictionary<string, string>())
        {
            if (key.StartsWith(Node.RoleLabelPrefix, StringComparison.Ordinal) && key.Length > Node.RoleLabelPrefix.Length)
            {
                roles.Add(key[Node.RoleLabelPrefix.Length..]);
            }
            else if (key == "kubernetes.io/role" && value.Length > 0)
            {
                roles.Add(value);
            }
        }

        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    /// <summary>The first address of <paramref name="type"/>, or <c>&lt;none&gt;</c>.</summary>
    public static string NodeAddressCell(Node node, string type) =>
        node.Status?.Addresses?.FirstOrDefault(a => a.Type == type)?.Address ?? "<none>";

    private static string Unknown(string? value) => string.IsNullOrEmpty(value) ? "<unknown>" : value;

    /// <summary><c>k=v,k2=v2</c> sorted by key, or <c>&lt;none&gt;</c> (labels.FormatLabels).</summary>
    public static string Labels(IReadOnlyDictionary<string, string>? labels) =>
        labels is null || labels.Count == 0
            ? "<none>"
            : string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    /// <summary><c>80:30080/TCP,6379/TCP</c>, or <c>&lt;none&gt;</c>.</summary>
    public static string Ports(IReadOnlyList<ServicePort>? ports)
    {
        if (ports is null || ports.Count == 0)
        {
            return "<none>";
        }

        return string.Join(",", ports.Select(p =>
        {
            var protocol = p.Protocol ?? Protocols.Tcp;
            return p.NodePort > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{p.Port}:{p.NodePort}/{protocol}")
                : string.Create(CultureInfo.InvariantCulture, $"{p.Port}/{protocol}");
        }));
    }

    public static string ClusterIP(Service service) =>
        service.Spec.ClusterIPs is [var first, ..] ? first : string.IsNullOrEmpty(service.Spec.ClusterIP) ? "<none>" : service.Spec.ClusterIP;

    /// <summary>The EXTERNAL-IP cell (kubectl's getServiceExternalIP).</summary>
    public static string ExternalIP(Service service, bool wide)
    {
        var externalIPs = service.Spec.ExternalIPs ?? [];
        switch (service.Spec.Type ?? ServiceTypes.ClusterIP)
        {
            case ServiceTypes.ClusterIP or ServiceTypes.NodePort:
                return externalIPs.Count > 0 ? string.Join(",", externalIPs) : "<none>";
            case ServiceTypes.LoadBalancer:
                var ingress = LoadBalancerIngress(service, wide);
                var all = (ingress.Length > 0 ? ingress.Split(',') : []).Concat(externalIPs).ToList();
                return all.Count > 0 ? string.Join(",", all) : "<pending>";
            case ServiceTypes.ExternalName:
                return service.Spec.ExternalName ?? string.Empty;
            default:
                return "<unknown>";
        }
    }

    private static string LoadBalancerIngress(Service service, bool wide)
    {
        var ingress = string.Join(",", (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip ?? i.Hostname).Where(v => !string.IsNullOrEmpty(v)));
        return !wide && ingress.Length > 16 ? ingress[..13] + "..." : ingress;
    }

    /// <summary>
    /// <c>10.244.1.18:80,10.244.1.19:80,10.244.2.15:80 + 2 more...</c> (kubectl's formatEndpoints):
    /// at most three, of the ports named <paramref name="portName"/> (null: every port).
    /// </summary>
    public static string FormatEndpoints(Endpoints? endpoints, string? portName)
    {
        const int max = 3;
        if (endpoints?.Subsets is not { Count: > 0 } subsets)
        {
            return "<none>";
        }

        var list = new List<string>();
        var count = 0;
        var more = false;
        foreach (var subset in subsets)
        {
            var addresses = subset.Addresses ?? [];
            if (subset.Ports is not { Count: > 0 } ports)
            {
                count += addresses.Count;
                foreach (var address in addresses)
                {
                    if (list.Count == max)
                    {
                        more = true;
                        break;
                    }

                    list.Add(address.Ip ?? string.Empty);
                }

                continue;
            }

            foreach (var port in ports.Where(p => portName is null || (p.Name ?? string.Empty) == portName))
            {
                count += addresses.Count;
                foreach (var address in addresses)
                {
                    if (list.Count == max)
                    {
                        more = true;
                        break;
                    }

                    list.Add(JoinHostPort(address.Ip ?? string.Empty, port.Port));
                }
            }
        }

        var joined = string.Join(",", list);
        if (more)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{joined} + {count - max} more...");
        }

        return joined.Length == 0 ? "<none>" : joined;
    }

    private static string JoinHostPort(string host, int port) =>
        IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");

    /// <summary>
    /// READY: ready containers over containers; a pod without declared containers counts as one.
    /// With containerStatuses (written by the readiness prober, or sent), each one's ready counts, as in kubectl.
    /// </summary>
    private static string PodReady(Pod pod)
    {
        var total = Math.Max(1, pod.Spec?.Containers?.Count ?? 0);
        var running = pod.Status?.Phase is null or "Running";
        var ready = pod.Status?.ContainerStatuses is { Count: > 0 } statuses
            ? (running ? statuses.Count(s => s.Ready) : 0)
            : pod.IsReady && running ? total : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{ready}/{total}");
    }
}

using System.Globalization;
using System.Text;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Printing;

/// <summary>
/// <c>svcproxy describe node NAME</c>: kubectl's describeNode layout for the fields svcproxy keeps,
/// with the node's heartbeat Lease (holder, acquire and renew times) as kubectl shows it.
/// </summary>
internal static class NodeDescriber
{
    public static string Describe(Node node, Lease? lease)
    {
        var w = new StringBuilder();
        Line(w, "Name", node.Metadata.Name);
        Line(w, "Roles", ResourceTables.NodeRoles(node));
        ServiceDescriber.Labels(w, node.Metadata.Labels);
        ServiceDescriber.Annotations(w, node.Metadata.Annotations);
        Line(w, "CreationTimestamp", Time(node.Metadata.CreationTimestamp));
        var taints = node.Spec?.Taints ?? [];
        Line(w, "Taints", taints.Count == 0 ? "<none>" : string.Join("\n\t", taints.Select(Taint)));
        Line(w, "Unschedulable", node.Spec?.Unschedulable == true ? "true" : "false");
        if (lease is not null)
        {
            w.Append("Lease:\n");
            Line(w, "  HolderIdentity", lease.Spec?.HolderIdentity ?? "<unset>");
            Line(w, "  AcquireTime", Time(lease.Spec?.AcquireTime, "<unset>"));
            Line(w, "  RenewTime", Time(lease.Spec?.RenewTime, "<unset>"));
        }

        var conditions = node.Status?.Conditions ?? [];
        if (conditions.Count > 0)
        {
            w.Append("Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
            w.Append("  ----\t------\t-----------------\t------------------\t------\t-------\n");
            foreach (var c in conditions)
            {
                w.Append(CultureInfo.InvariantCulture, $"  {c.Type}\t{c.Status}\t{Time(c.LastHeartbeatTime)}\t{Time(c.LastTransitionTime)}\t{c.Reason}\t{c.Message}\n");
            }
        }

        var addresses = node.Status?.Addresses ?? [];
        if (addresses.Count > 0)
        {
            w.Append("Addresses:\n");
            foreach (var address in addresses)
            {
                Line(w, "  " + address.Type, address.Address);
            }
        }

        if (node.Status?.NodeInfo is { } info)
        {
            w.Append("System Info:\n");
            Line(w, "  Machine ID", info.MachineID);
            Line(w, "  System UUID", info.SystemUUID);
            Line(w, "  Boot ID", info.BootID);
            Line(w, "  Kernel Version", info.KernelVersion);
            Line(w, "  OS Image", info.OSImage);
            Line(w, "  Operating System", info.OperatingSystem);
            Line(w, "  Architecture", info.Architecture);
            Line(w, "  Container Runtime Version", info.ContainerRuntimeVersion);
            Line(w, "  Kubelet Version", info.KubeletVersion);
            Line(w, "  Kube-Proxy Version", info.KubeProxyVersion);
        }

        if (!string.IsNullOrEmpty(node.Spec?.PodCIDR))
        {
            Line(w, "PodCIDR", node.Spec.PodCIDR);
            Line(w, "PodCIDRs", string.Join(",", node.Spec.PodCIDRs ?? []));
        }

        if (!string.IsNullOrEmpty(node.Spec?.ProviderID))
        {
            Line(w, "ProviderID", node.Spec.ProviderID);
        }

        Line(w, "Events", "<none>");
        return TabWriter.Describe.Format(w.ToString());
    }

    private static string Taint(Taint taint) =>
        string.IsNullOrEmpty(taint.Value) ? $"{taint.Key}:{taint.Effect}" : $"{taint.Key}={taint.Value}:{taint.Effect}";

    /// <summary>Go's RFC1123Z, as kubectl describe prints times.</summary>
    private static string Time(DateTimeOffset? time, string unset = "") =>
        time is { } t ? t.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture) : unset;

    private static void Line(StringBuilder w, string title, string? value) => w.Append(title).Append(":\t").Append(value).Append('\n');
}

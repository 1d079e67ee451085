using System.Globalization;
using System.Text;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Printing;

/// <summary><c>svcproxy describe svc NAME</c>: kubectl's describeService layout, line for line.</summary>
internal static class ServiceDescriber
{
    /// <summary>Annotation values longer than this are shortened, as kubectl does.</summary>
    private const int MaxAnnotationLength = 140;

    public static string Describe(Service service, Endpoints? endpoints)
    {
        var spec = service.Spec;
        var w = new StringBuilder();
        Line(w, "Name", service.Metadata.Name);
        Line(w, "Namespace", service.Metadata.NamespaceOrDefault);
        Labels(w, service.Metadata.Labels);
        Annotations(w, service.Metadata.Annotations);
        Line(w, "Selector", ResourceTables.Labels(spec.Selector));
        Line(w, "Type", spec.Type ?? ServiceTypes.ClusterIP);
        if (spec.IpFamilyPolicy is { } policy)
        {
            Line(w, "IP Family Policy", policy);
        }

        if (spec.IpFamilies is { Count: > 0 } families)
        {
            Line(w, "IP Families", string.Join(",", families));
        }

        Line(w, "IP", spec.ClusterIP);
        if (spec.ClusterIPs is { Count: > 0 } clusterIPs)
        {
            Line(w, "IPs", string.Join(",", clusterIPs));
        }

        if (spec.ExternalIPs is { Count: > 0 } externalIPs)
        {
            Line(w, "External IPs", string.Join(",", externalIPs));
        }

        if (!string.IsNullOrEmpty(spec.LoadBalancerIP))
        {
            Line(w, "IP", spec.LoadBalancerIP);
        }

        if (!string.IsNullOrEmpty(spec.ExternalName))
        {
            Line(w, "External Name", spec.ExternalName);
        }

        if (service.Status?.LoadBalancer?.Ingress is { Count: > 0 } ingress)
        {
            Line(w, "LoadBalancer Ingress", string.Join(", ", ingress.Select(i => i.Ip ?? i.Hostname)));
        }

        foreach (var port in spec.Ports ?? [])
        {
            var name = string.IsNullOrEmpty(port.Name) ? "<unset>" : port.Name;
            var protocol = port.Protocol ?? Protocols.Tcp;
            w.Append(CultureInfo.InvariantCulture, $"Port:\t{name}\t{port.Port}/{protocol}\n");
            var target = port.TargetPort?.ToString() ?? port.Port.ToString(CultureInfo.InvariantCulture);
            Line(w, "TargetPort", $"{target}/{protocol}");
            if (port.NodePort != 0)
            {
                w.Append(CultureInfo.InvariantCulture, $"NodePort:\t{name}\t{port.NodePort}/{protocol}\n");
            }

            Line(w, "Endpoints", ResourceTables.FormatEndpoints(endpoints, port.Name ?? string.Empty));
        }

        Line(w, "Session Affinity", spec.SessionAffinity ?? SessionAffinities.None);
        if (!string.IsNullOrEmpty(spec.ExternalTrafficPolicy))
        {
            Line(w, "External Traffic Policy", spec.ExternalTrafficPolicy);
        }

        if (spec.HealthCheckNodePort != 0)
        {
            Line(w, "HealthCheck NodePort", spec.HealthCheckNodePort.ToString(CultureInfo.InvariantCulture));
        }

        if (spec.LoadBalancerSourceRanges is { Count: > 0 } ranges)
        {
            Line(w, "LoadBalancer Source Ranges", string.Join(',', ranges));
        }

        if (!string.IsNullOrEmpty(spec.InternalTrafficPolicy))
        {
            Line(w, "Internal Traffic Policy", spec.InternalTrafficPolicy);
        }

        Line(w, "Events", "<none>");
        return TabWriter.Describe.Format(w.ToString());
    }

    private static void Line(StringBuilder w, string title, string? value) => w.Append(title).Append(":\t").Append(value).Append('\n');

    internal static void Labels(StringBuilder w, IReadOnlyDictionary<string, string>? labels)
    {
        w.Append("Labels:\t");
        if (labels is null || labels.Count == 0)
        {
            w.Append("<none>\n");
            return;
        }

        var first = true;
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            w.Append(first ? string.Empty : "\t").Append(key).Append('=').Append(value).Append('\n');
            first = false;
        }
    }

    /// <summary>kubectl 1.32 leaves this one out of describe: it repeats the object.</summary>
    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>kubectl's printAnnotationsMultiline: long or multi-line values go below their key, shortened.</summary>
    internal static void Annotations(StringBuilder w, IReadOnlyDictionary<string, string>? annotations)
    {
        w.Append("Annotations:\t");
        var shown = (annotations ?? new Dictionary<string, string>()).Where(a => a.Key != LastAppliedAnnotation).ToList();
        if (shown.Count == 0)
        {
            w.Append("<none>\n");
            return;
        }

        var first = true;
        foreach (var (key, raw) in shown.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                w.Append('\t');
            }

            first = false;
            var value = raw.TrimEnd('\n');
            if (value.Length + key.Length + 2 > MaxAnnotationLength || value.Contains('\n'))
            {
                w.Append(key).Append(":\n");
                foreach (var line in value.Split('\n'))
                {
                    w.Append("\t  ").Append(Shorten(line, MaxAnnotationLength - 2)).Append('\n');
                }
            }
            else
            {
                w.Append(key).Append(": ").Append(value).Append('\n');
            }
        }
    }

    private static string Shorten(string text, int max) => text.Length > max ? text[..max] + "..." : text;
}

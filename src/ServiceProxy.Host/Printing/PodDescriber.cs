using System.Globalization;
using System.Text;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Printing;

/// <summary>
/// <c>svcproxy describe pod NAME</c>: kubectl's describePod layout for the fields svcproxy keeps,
/// with each container's readiness probe as kubectl prints it and, where kubectl would list the
/// kubelet's "Readiness probe failed" events, the last failure the prober recorded.
/// </summary>
internal static class PodDescriber
{
    public static string Describe(Pod pod)
    {
        var w = new StringBuilder();
        Line(w, "Name", pod.Metadata.Name);
        Line(w, "Namespace", pod.Metadata.NamespaceOrDefault);
        Line(w, "Node", pod.Spec?.NodeName ?? "<none>");
        Line(w, "Labels", ResourceTables.Labels(pod.Metadata.Labels));
        Line(w, "Status", pod.Status?.Phase ?? "Unknown");
        Line(w, "IP", pod.Status?.PodIP ?? string.Empty);
        w.Append("Containers:\n");
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            w.Append("  ").Append(container.Name).Append(":\n");
            Line(w, "    Image", string.IsNullOrEmpty(container.Image) ? "<none>" : container.Image);
            var ports = (container.Ports ?? []).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.ContainerPort}/{p.Protocol ?? Protocols.Tcp}")).ToList();
            Line(w, ports.Count > 1 ? "    Ports" : "    Port", ports.Count == 0 ? "<none>" : string.Join(", ", ports));
            if (pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == container.Name) is { } status)
            {
                Line(w, "    Ready", status.Ready ? "True" : "False");
                Line(w, "    Restart Count", status.RestartCount.ToString(CultureInfo.InvariantCulture));
            }

            if (container.ReadinessProbe is { } probe)
            {
                Line(w, "    Readiness", Probe(probe));
            }
        }

        var conditions = pod.Status?.Conditions ?? [];
        if (conditions.Count > 0)
        {
            w.Append("Conditions:\n  Type\tStatus\n");
            foreach (var condition in conditions)
            {
                w.Append("  ").Append(condition.Type).Append('\t').Append(condition.Status).Append('\n');
            }
        }

        var ready = conditions.FirstOrDefault(c => c.Type == "Ready");
        if (ready is { Status: "False", Message: { Length: > 0 } message })
        {
            Line(w, "Readiness Message", message);
        }

        Line(w, "Events", "<none>");
        return TabWriter.Describe.Format(w.ToString());
    }

    /// <summary>kubectl's describeProbe line: the handler, then the timings.</summary>
    public static string Probe(Probe probe)
    {
        var timings = string.Create(
            CultureInfo.InvariantCulture,
            $"delay={probe.InitialDelaySeconds}s timeout={probe.TimeoutSeconds}s period={probe.PeriodSeconds}s #success={probe.SuccessThreshold} #failure={probe.FailureThreshold}");
        if (probe.Exec is { } exec)
        {
            return $"exec [{string.Join(' ', exec.Command ?? [])}] {timings}";
        }

        if (probe.HttpGet is { } http)
        {
            var scheme = (http.Scheme ?? "HTTP").ToLowerInvariant();
            return $"http-get {scheme}://{http.Host}:{http.Port}{http.Path} {timings}";
        }

        if (probe.TcpSocket is { } tcp)
        {
            return $"tcp-socket {tcp.Host}:{tcp.Port} {timings}";
        }

        if (probe.Grpc is { } grpc)
        {
            return string.Create(CultureInfo.InvariantCulture, $"grpc <pod>:{grpc.Port} {grpc.Service} {timings}");
        }

        return $"unknown {timings}";
    }

    private static void Line(StringBuilder w, string title, string? value) => w.Append(title).Append(":\t").Append(value).Append('\n');
}

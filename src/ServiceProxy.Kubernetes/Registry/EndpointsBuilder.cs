using System.Net;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Computes a Service's Endpoints from its Pods as Kubernetes' endpoints controller does: pods whose
/// labels include the selector and that have an IP; ready ones in <c>addresses</c>, others in
/// <c>notReadyAddresses</c> (in <c>addresses</c> too when the Service publishes not-ready addresses); one endpoint port per service port, a named targetPort resolved per
/// pod (a pod without that container port is left out of that port), addresses grouped into
/// subsets by their resolved port set.
/// </summary>
internal static class EndpointsBuilder
{
    public static bool HasSelector(Service service) => service.Spec.Selector is { Count: > 0 };

    public static bool Selects(Service service, Pod pod)
    {
        var labels = pod.Metadata.Labels;
        return HasSelector(service)
            && service.Spec.Selector!.All(s => labels is not null && labels.TryGetValue(s.Key, out var value) && value == s.Value);
    }

    public static IReadOnlyList<EndpointSubset> Subsets(Service service, IEnumerable<Pod> pods)
    {
        var servicePorts = service.Spec.Ports ?? [];
        var groups = new Dictionary<string, (List<EndpointPort> Ports, List<EndpointAddress> Ready, List<EndpointAddress> NotReady)>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (!Selects(service, pod) || PodIP(pod) is not { } ip || pod.Status?.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            var ports = new List<EndpointPort>();
            foreach (var servicePort in servicePorts)
            {
                if (TargetPort(servicePort, pod) is int port)
                {
                    ports.Add(new EndpointPort
                    {
                        Name = servicePort.Name,
                        Port = port,
                        Protocol = servicePort.Protocol ?? Protocols.Tcp,
                        AppProtocol = servicePort.AppProtocol,
                    });
                }
            }

            if (servicePorts.Count > 0 && ports.Count == 0)
            {
                continue;
            }

            var signature = string.Join(",", ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}"));
            if (!groups.TryGetValue(signature, out var group))
            {
                group = (ports, [], []);
                groups.Add(signature, group);
            }

            var address = new EndpointAddress
            {
                Ip = ip,
                NodeName = pod.Spec?.NodeName,
                TargetRef = new ObjectReference
                {
                    Kind = "Pod",
                    Namespace = pod.Metadata.NamespaceOrDefault,
                    Name = pod.Metadata.Name,
                    Uid = pod.Metadata.Uid,
                },
            };
            (pod.IsReady || service.Spec.PublishNotReadyAddresses == true ? group.Ready : group.NotReady).Add(address);
        }

        return
        [
            .. groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new EndpointSubset
            {
                Addresses = g.Value.Ready.Count > 0 ? Sorted(g.Value.Ready) : null,
                NotReadyAddresses = g.Value.NotReady.Count > 0 ? Sorted(g.Value.NotReady) : null,
                Ports = g.Value.Ports.Count > 0 ? g.Value.Ports : null,
            }),
        ];
    }

    /// <summary>The pod's port for a service port, or null when a named targetPort has no container port of that name and protocol.</summary>
    public static int? TargetPort(ServicePort servicePort, Pod pod)
    {
        if (servicePort.TargetPort is not { } target)
        {
            return servicePort.Port;
        }

        if (target.IntValue is int number)
        {
            return number == 0 ? servicePort.Port : number;
        }

        var protocol = servicePort.Protocol ?? Protocols.Tcp;
        return pod.Spec?.Containers?
            .SelectMany(c => c.Ports ?? [])
            .FirstOrDefault(p => p.Name == target.StringValue && (p.Protocol ?? Protocols.Tcp) == protocol)?
            .ContainerPort;
    }

    /// <summary>status.podIP (or podIPs[0]); null when absent or not an IP, so one bad pod cannot make the whole Endpoints invalid.</summary>
    private static string? PodIP(Pod pod)
    {
        var ip = !string.IsNullOrEmpty(pod.Status?.PodIP) ? pod.Status.PodIP : pod.Status?.PodIPs?.FirstOrDefault()?.Ip;
        return IPAddress.TryParse(ip, out _) ? ip : null;
    }

    private static List<EndpointAddress> Sorted(List<EndpointAddress> addresses) =>
    [
        .. addresses
            .OrderBy(a => IPAddress.TryParse(a.Ip, out var ip) ? ip.GetAddressBytes() : [], ByteArrayComparer.Instance)
            .ThenBy(a => a.Ip, StringComparer.Ordinal)
            .ThenBy(a => a.TargetRef?.Name, StringComparer.Ordinal),
    ];
}

/// <summary>Orders addresses numerically: shorter (IPv4) first, then byte by byte.</summary>
internal sealed class ByteArrayComparer : IComparer<byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y)
    {
        x ??= [];
        y ??= [];
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.AsSpan().SequenceCompareTo(y);
    }
}

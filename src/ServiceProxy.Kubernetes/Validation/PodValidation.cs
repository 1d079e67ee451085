using ServiceProxy.Kubernetes.Model;
using static ServiceProxy.Kubernetes.Validation.FieldPath;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// The part of <c>ValidatePod</c> that matters to a Pod standing in for a backend: containers
/// with names and ports (which named targetPorts resolve through), and a status whose podIP is an IP.
/// </summary>
internal static class PodValidation
{
    private static readonly string[] Phases = ["Failed", "Pending", "Running", "Succeeded", "Unknown"];
    private static readonly string[] ConditionStatuses = ["False", "True", "Unknown"];

    public static void Validate(Pod pod, List<FieldError> errors)
    {
        MetadataValidation.Validate(pod.Metadata, KubeNames.IsDns1123Subdomain, errors);

        var containers = pod.Spec?.Containers ?? [];
        if (containers.Count == 0)
        {
            errors.Add(new FieldError("spec.containers", FieldErrorType.Required));
        }

        var containerNames = new HashSet<string>(StringComparer.Ordinal);
        var portNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            ValidateContainer(containers[i], Index("spec.containers", i), containerNames, portNames, errors);
        }

        if (pod.Spec?.NodeName is { Length: > 0 } nodeName)
        {
            errors.AddInvalid("spec.nodeName", nodeName, KubeNames.IsDns1123Subdomain(nodeName));
        }

        if (pod.Spec?.Hostname is { Length: > 0 } hostname)
        {
            errors.AddInvalid("spec.hostname", hostname, KubeNames.IsDns1123Label(hostname));
        }

        if (pod.Status is { } status)
        {
            ValidateStatus(status, errors);
        }
    }

    private static void ValidateContainer(Container container, string path, HashSet<string> names, HashSet<string> portNames, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(container.Name))
        {
            errors.Add(new FieldError(path + ".name", FieldErrorType.Required));
        }
        else
        {
            errors.AddInvalid(path + ".name", container.Name, KubeNames.IsDns1123Label(container.Name));
            if (!names.Add(container.Name))
            {
                errors.Add(new FieldError(path + ".name", FieldErrorType.Duplicate, BadValue: container.Name));
            }
        }

        var ports = container.Ports ?? [];
        for (var i = 0; i < ports.Count; i++)
        {
            var portPath = Index(path + ".ports", i);
            var port = ports[i];
            if (!string.IsNullOrEmpty(port.Name))
            {
                errors.AddInvalid(portPath + ".name", port.Name, KubeNames.IsValidPortName(port.Name));
                if (!portNames.Add(port.Name))
                {
                    errors.Add(new FieldError(portPath + ".name", FieldErrorType.Duplicate, BadValue: port.Name));
                }
            }

            errors.AddPortNumber(portPath + ".containerPort", port.ContainerPort);
            errors.AddProtocol(portPath + ".protocol", port.Protocol);
        }

        if (container.ReadinessProbe is { } probe)
        {
            ProbeValidation.ValidateReadinessProbe(probe, path + ".readinessProbe", errors);
        }
    }

    private static void ValidateStatus(PodStatus status, List<FieldError> errors)
    {
        if (!string.IsNullOrEmpty(status.Phase) && !Phases.Contains(status.Phase))
        {
            errors.AddNotSupported("status.phase", status.Phase, Phases);
        }

        if (!string.IsNullOrEmpty(status.PodIP))
        {
            errors.AddIP("status.podIP", status.PodIP);
        }

        var podIPs = status.PodIPs ?? [];
        for (var i = 0; i < podIPs.Count; i++)
        {
            errors.AddIP(Index("status.podIPs", i) + ".ip", podIPs[i].Ip);
        }

        if (podIPs.Count > 0 && !string.IsNullOrEmpty(status.PodIP) && podIPs[0].Ip != status.PodIP)
        {
            errors.Add(new FieldError("status.podIPs[0].ip", FieldErrorType.Invalid, "must match `podIP`", podIPs[0].Ip));
        }

        var conditions = status.Conditions ?? [];
        for (var i = 0; i < conditions.Count; i++)
        {
            var path = Index("status.conditions", i);
            if (string.IsNullOrEmpty(conditions[i].Type))
            {
                errors.Add(new FieldError(path + ".type", FieldErrorType.Required));
            }

            if (string.IsNullOrEmpty(conditions[i].Status))
            {
                errors.Add(new FieldError(path + ".status", FieldErrorType.Required));
            }
            else if (!ConditionStatuses.Contains(conditions[i].Status))
            {
                errors.AddNotSupported(path + ".status", conditions[i].Status!, ConditionStatuses);
            }
        }
    }
}

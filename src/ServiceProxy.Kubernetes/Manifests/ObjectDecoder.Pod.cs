using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Manifests;

internal sealed partial class ObjectDecoder
{
    private Pod DecodePod(YamlMapping root)
    {
        var pod = new Pod();
        foreach (var (key, value, at) in context.Fields(root, string.Empty))
        {
            if (TryDecodeCommon(ref pod, key, value, at))
            {
                continue;
            }

            pod = key switch
            {
                "spec" => pod with { Spec = DecodePodSpec(value, at) },
                "status" => pod with { Status = DecodePodStatus(value, at) },
                _ => context.Unknown(pod, at, value),
            };
        }

        return pod;
    }

    private PodSpec DecodePodSpec(YamlNode node, string path)
    {
        var spec = new PodSpec();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            spec = key switch
            {
                "containers" => spec with { Containers = context.List(value, at, DecodeContainer) },
                "nodeName" => spec with { NodeName = context.String(value, at) },
                "hostname" => spec with { Hostname = context.String(value, at) },

                // No kubelet runs here: how a Pod would be scheduled and run does not change how it is
                // proxied to, so a Pod copied from a real cluster or a Deployment template is accepted.
                "initContainers" or "restartPolicy" or "terminationGracePeriodSeconds" or "activeDeadlineSeconds"
                    or "dnsPolicy" or "dnsConfig" or "nodeSelector" or "serviceAccountName" or "serviceAccount"
                    or "automountServiceAccountToken" or "securityContext" or "imagePullSecrets" or "affinity"
                    or "schedulerName" or "tolerations" or "hostAliases" or "priorityClassName" or "priority"
                    or "enableServiceLinks" or "preemptionPolicy" or "volumes" or "subdomain" or "hostNetwork"
                    or "topologySpreadConstraints" or "runtimeClassName" or "shareProcessNamespace" => DecodeContext.Ignored(spec),
                _ => context.Unknown(spec, at, value),
            };
        }

        return spec;
    }

    private Container DecodeContainer(YamlNode node, string path)
    {
        var container = new Container();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            container = key switch
            {
                "name" => container with { Name = context.String(value, at) },
                "image" => container with { Image = context.String(value, at) },
                "ports" => container with { Ports = context.List(value, at, DecodeContainerPort) },
                "readinessProbe" => container with { ReadinessProbe = DecodeProbe(value, at) },
                "command" or "args" => CheckStrings(container, value, at),
                "env" or "envFrom" or "resources" or "imagePullPolicy" or "volumeMounts" or "workingDir"
                    or "livenessProbe" or "startupProbe" or "lifecycle" or "securityContext"
                    or "terminationMessagePath" or "terminationMessagePolicy" or "stdin" or "tty" => DecodeContext.Ignored(container),
                _ => context.Unknown(container, at, value),
            };
        }

        return container;
    }

    /// <summary>command/args are not kept (nothing runs them), but must still be lists of strings.</summary>
    private Container CheckStrings(Container container, YamlNode value, string path)
    {
        context.StringList(value, path);
        return container;
    }

    private PodContainerPort DecodeContainerPort(YamlNode node, string path)
    {
        var port = new PodContainerPort();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            port = key switch
            {
                "name" => port with { Name = context.String(value, at) },
                "containerPort" => port with { ContainerPort = context.Int(value, at) ?? 0 },
                "protocol" => port with { Protocol = context.String(value, at) },
                "hostPort" or "hostIP" => DecodeContext.Ignored(port),
                _ => context.Unknown(port, at, value),
            };
        }

        return port;
    }

    private PodStatus DecodePodStatus(YamlNode node, string path)
    {
        var status = new PodStatus();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            status = key switch
            {
                "phase" => status with { Phase = context.String(value, at) },
                "podIP" => status with { PodIP = context.String(value, at) },
                "podIPs" => status with { PodIPs = context.List(value, at, DecodePodIP) },
                "conditions" => status with { Conditions = context.List(value, at, DecodePodCondition) },
                "hostIP" or "hostIPs" or "startTime" or "containerStatuses" or "initContainerStatuses" or "qosClass"
                    or "message" or "reason" or "nominatedNodeName" => DecodeContext.Ignored(status),
                _ => context.Unknown(status, at, value),
            };
        }

        return status;
    }

    private PodIP DecodePodIP(YamlNode node, string path)
    {
        var podIP = new PodIP();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            podIP = key switch
            {
                "ip" => podIP with { Ip = context.String(value, at) },
                _ => context.Unknown(podIP, at, value),
            };
        }

        return podIP;
    }

    private PodCondition DecodePodCondition(YamlNode node, string path)
    {
        var condition = new PodCondition();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            condition = key switch
            {
                "type" => condition with { Type = context.String(value, at) },
                "status" => condition with { Status = context.String(value, at) },
                "lastProbeTime" or "lastTransitionTime" or "reason" or "message" => DecodeContext.Ignored(condition),
                _ => context.Unknown(condition, at, value),
            };
        }

        return condition;
    }
}

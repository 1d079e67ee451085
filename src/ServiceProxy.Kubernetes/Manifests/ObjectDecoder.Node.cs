using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Manifests;

internal sealed partial class ObjectDecoder
{
    private Node DecodeNode(YamlMapping root)
    {
        var node = new Node();
        foreach (var (key, value, at) in context.Fields(root, string.Empty))
        {
            if (TryDecodeCommon(ref node, key, value, at))
            {
                continue;
            }

            node = key switch
            {
                "spec" => node with { Spec = DecodeNodeSpec(value, at) },
                "status" => node with { Status = DecodeNodeStatus(value, at) },
                _ => context.Unknown(node, at, value),
            };
        }

        return node;
    }

    private NodeSpec DecodeNodeSpec(YamlNode node, string path)
    {
        var spec = new NodeSpec();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            spec = key switch
            {
                "podCIDR" => spec with { PodCIDR = context.String(value, at) },
                "podCIDRs" => spec with { PodCIDRs = context.StringList(value, at) },
                "providerID" => spec with { ProviderID = context.String(value, at) },
                "unschedulable" => spec with { Unschedulable = context.Bool(value, at) },
                "taints" => spec with { Taints = context.List(value, at, DecodeTaint) },

                // Deprecated kubelet settings of a real node that mean nothing to a proxy.
                "configSource" or "externalID" => DecodeContext.Ignored(spec),
                _ => context.Unknown(spec, at, value),
            };
        }

        return spec;
    }

    private Taint DecodeTaint(YamlNode node, string path)
    {
        var taint = new Taint();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            taint = key switch
            {
                "key" => taint with { Key = context.String(value, at) },
                "value" => taint with { Value = context.String(value, at) },
                "effect" => taint with { Effect = context.String(value, at) },
                "timeAdded" => taint with { TimeAdded = context.Timestamp(value, at) },
                _ => context.Unknown(taint, at, value),
            };
        }

        return taint;
    }

    private NodeStatus DecodeNodeStatus(YamlNode node, string path)
    {
        var status = new NodeStatus();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            status = key switch
            {
                "capacity" => status with { Capacity = context.StringMap(value, at) },
                "allocatable" => status with { Allocatable = context.StringMap(value, at) },
                "conditions" => status with { Conditions = context.List(value, at, DecodeNodeCondition) },
                "addresses" => status with { Addresses = context.List(value, at, DecodeNodeAddress) },
                "nodeInfo" => status with { NodeInfo = DecodeNodeInfo(value, at) },

                // What a kubelet reports about images, volumes and its endpoint: nothing svcproxy uses.
                "phase" or "daemonEndpoints" or "images" or "volumesInUse" or "volumesAttached" or "config"
                    or "runtimeHandlers" or "features" => DecodeContext.Ignored(status),
                _ => context.Unknown(status, at, value),
            };
        }

        return status;
    }

    private NodeCondition DecodeNodeCondition(YamlNode node, string path)
    {
        var condition = new NodeCondition();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            condition = key switch
            {
                "type" => condition with { Type = context.String(value, at) },
                "status" => condition with { Status = context.String(value, at) },
                "lastHeartbeatTime" => condition with { LastHeartbeatTime = context.Timestamp(value, at) },
                "lastTransitionTime" => condition with { LastTransitionTime = context.Timestamp(value, at) },
                "reason" => condition with { Reason = context.String(value, at) },
                "message" => condition with { Message = context.String(value, at) },
                _ => context.Unknown(condition, at, value),
            };
        }

        return condition;
    }

    private NodeAddress DecodeNodeAddress(YamlNode node, string path)
    {
        var address = new NodeAddress();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            address = key switch
            {
                "type" => address with { Type = context.String(value, at) },
                "address" => address with { Address = context.String(value, at) },
                _ => context.Unknown(address, at, value),
            };
        }

        return address;
    }

    private NodeSystemInfo DecodeNodeInfo(YamlNode node, string path)
    {
        var info = new NodeSystemInfo();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            info = key switch
            {
                "machineID" => info with { MachineID = context.String(value, at) },
                "systemUUID" => info with { SystemUUID = context.String(value, at) },
                "bootID" => info with { BootID = context.String(value, at) },
                "kernelVersion" => info with { KernelVersion = context.String(value, at) },
                "osImage" => info with { OSImage = context.String(value, at) },
                "containerRuntimeVersion" => info with { ContainerRuntimeVersion = context.String(value, at) },
                "kubeletVersion" => info with { KubeletVersion = context.String(value, at) },
                "kubeProxyVersion" => info with { KubeProxyVersion = context.String(value, at) },
                "operatingSystem" => info with { OperatingSystem = context.String(value, at) },
                "architecture" => info with { Architecture = context.String(value, at) },
                "swap" => DecodeContext.Ignored(info),
                _ => context.Unknown(info, at, value),
            };
        }

        return info;
    }
}

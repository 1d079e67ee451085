using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Manifests;

internal sealed partial class ObjectDecoder
{
    private Endpoints DecodeEndpoints(YamlMapping root)
    {
        var endpoints = new Endpoints();
        foreach (var (key, value, at) in context.Fields(root, string.Empty))
        {
            if (TryDecodeCommon(ref endpoints, key, value, at))
            {
                continue;
            }

            endpoints = key switch
            {
                "subsets" => endpoints with { Subsets = context.List(value, at, DecodeSubset) },
                _ => context.Unknown(endpoints, at, value),
            };
        }

        return endpoints;
    }

    private EndpointSubset DecodeSubset(YamlNode node, string path)
    {
        var subset = new EndpointSubset();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            subset = key switch
            {
                "addresses" => subset with { Addresses = context.List(value, at, DecodeEndpointAddress) },
                "notReadyAddresses" => subset with { NotReadyAddresses = context.List(value, at, DecodeEndpointAddress) },
                "ports" => subset with { Ports = context.List(value, at, DecodeEndpointPort) },
                _ => context.Unknown(subset, at, value),
            };
        }

        return subset;
    }

    private EndpointAddress DecodeEndpointAddress(YamlNode node, string path)
    {
        var address = new EndpointAddress();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            address = key switch
            {
                "ip" => address with { Ip = context.String(value, at) },
                "hostname" => address with { Hostname = context.String(value, at) },
                "nodeName" => address with { NodeName = context.String(value, at) },
                "targetRef" => address with { TargetRef = DecodeObjectReference(value, at) },
                _ => context.Unknown(address, at, value),
            };
        }

        return address;
    }

    private EndpointPort DecodeEndpointPort(YamlNode node, string path)
    {
        var port = new EndpointPort();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            port = key switch
            {
                "name" => port with { Name = context.String(value, at) },
                "port" => port with { Port = context.Int(value, at) ?? 0 },
                "protocol" => port with { Protocol = context.String(value, at) },
                "appProtocol" => port with { AppProtocol = context.String(value, at) },
                _ => context.Unknown(port, at, value),
            };
        }

        return port;
    }
}

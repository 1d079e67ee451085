using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Manifests;

internal sealed partial class ObjectDecoder
{
    private Service DecodeService(YamlMapping root)
    {
        var service = new Service();
        foreach (var (key, value, at) in context.Fields(root, string.Empty))
        {
            if (TryDecodeCommon(ref service, key, value, at))
            {
                continue;
            }

            service = key switch
            {
                "spec" => service with { Spec = DecodeServiceSpec(value, at) },
                "status" => service with { Status = DecodeServiceStatus(value, at) },
                _ => context.Unknown(service, at, value),
            };
        }

        return service;
    }

    private ServiceSpec DecodeServiceSpec(YamlNode node, string path)
    {
        var spec = new ServiceSpec();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            spec = key switch
            {
                "type" => spec with { Type = context.String(value, at) },
                "clusterIP" => spec with { ClusterIP = context.String(value, at) },
                "clusterIPs" => spec with { ClusterIPs = context.StringList(value, at) },
                "ports" => spec with { Ports = context.List(value, at, DecodeServicePort) },
                "selector" => spec with { Selector = context.StringMap(value, at) },
                "sessionAffinity" => spec with { SessionAffinity = context.String(value, at) },
                "sessionAffinityConfig" => spec with { SessionAffinityConfig = DecodeSessionAffinityConfig(value, at) },
                "externalIPs" => spec with { ExternalIPs = context.StringList(value, at) },
                "loadBalancerIP" => spec with { LoadBalancerIP = context.String(value, at) },
                "loadBalancerClass" => spec with { LoadBalancerClass = context.String(value, at) },
                "externalName" => spec with { ExternalName = context.String(value, at) },
                "externalTrafficPolicy" => spec with { ExternalTrafficPolicy = context.String(value, at) },
                "ipFamilies" => spec with { IpFamilies = context.StringList(value, at) },
                "ipFamilyPolicy" => spec with { IpFamilyPolicy = context.String(value, at) },
                "internalTrafficPolicy" => spec with { InternalTrafficPolicy = context.String(value, at) },
                "publishNotReadyAddresses" => spec with { PublishNotReadyAddresses = context.Bool(value, at) },
                "loadBalancerSourceRanges" => spec with { LoadBalancerSourceRanges = context.StringList(value, at) },
                "healthCheckNodePort" => spec with { HealthCheckNodePort = context.Int(value, at) ?? 0 },

                // Node ports are always allocated for LoadBalancer services here; the switch is moot.
                "allocateLoadBalancerNodePorts" => DecodeContext.Ignored(spec),
                _ => context.Unknown(spec, at, value),
            };
        }

        return spec;
    }

    private ServicePort DecodeServicePort(YamlNode node, string path)
    {
        var port = new ServicePort();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            port = key switch
            {
                "name" => port with { Name = context.String(value, at) },
                "protocol" => port with { Protocol = context.String(value, at) },
                "port" => port with { Port = context.Int(value, at) ?? 0 },
                "targetPort" => port with { TargetPort = context.IntOrString(value, at) },
                "nodePort" => port with { NodePort = context.Int(value, at) ?? 0 },
                "appProtocol" => port with { AppProtocol = context.String(value, at) },
                _ => context.Unknown(port, at, value),
            };
        }

        return port;
    }

    private SessionAffinityConfig DecodeSessionAffinityConfig(YamlNode node, string path)
    {
        var config = new SessionAffinityConfig();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            config = key switch
            {
                "clientIP" => config with { ClientIP = DecodeClientIPConfig(value, at) },
                _ => context.Unknown(config, at, value),
            };
        }

        return config;
    }

    private ClientIPConfig DecodeClientIPConfig(YamlNode node, string path)
    {
        var config = new ClientIPConfig();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            config = key switch
            {
                "timeoutSeconds" => config with { TimeoutSeconds = context.Int(value, at) },
                _ => context.Unknown(config, at, value),
            };
        }

        return config;
    }

    private ServiceStatus DecodeServiceStatus(YamlNode node, string path)
    {
        var status = new ServiceStatus();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            status = key switch
            {
                "loadBalancer" => status with { LoadBalancer = DecodeLoadBalancerStatus(value, at) },
                "conditions" => DecodeContext.Ignored(status),
                _ => context.Unknown(status, at, value),
            };
        }

        return status;
    }

    private LoadBalancerStatus DecodeLoadBalancerStatus(YamlNode node, string path)
    {
        var status = new LoadBalancerStatus();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            status = key switch
            {
                "ingress" => status with { Ingress = context.List(value, at, DecodeIngress) },
                _ => context.Unknown(status, at, value),
            };
        }

        return status;
    }

    private LoadBalancerIngress DecodeIngress(YamlNode node, string path)
    {
        var ingress = new LoadBalancerIngress();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            ingress = key switch
            {
                "ip" => ingress with { Ip = context.String(value, at) },
                "hostname" => ingress with { Hostname = context.String(value, at) },
                "ipMode" or "ports" => DecodeContext.Ignored(ingress),
                _ => context.Unknown(ingress, at, value),
            };
        }

        return ingress;
    }
}

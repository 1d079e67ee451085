using System.Diagnostics;
using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Hosting;

/// <summary>Metric tags of one service port. Endpoint tags are bounded by the endpoints of the port.</summary>
internal static class ServicePortTags
{
    public const string Namespace = "k8s.namespace.name";
    public const string Service = "k8s.service.name";
    public const string PortName = "serviceproxy.port.name";
    public const string Endpoint = "serviceproxy.endpoint";

    public static TagList For(ServicePortKey key) => new()
    {
        { Namespace, key.Namespace },
        { Service, key.Name },
        { PortName, key.PortName },
    };

    public static TagList For(ServicePortKey key, IPEndPoint endpoint)
    {
        var tags = For(key);
        tags.Add(Endpoint, endpoint.ToString());
        return tags;
    }
}

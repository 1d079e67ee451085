using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The OpenAPI schemas of the objects the API accepts, generated from the model types (the same
/// System.Text.Json contract the API decodes with, so the schema says exactly what is accepted),
/// under Kubernetes' definition names and with Kubernetes' patch and list extensions, which kubectl
/// reads to compute strategic merge patches.
/// </summary>
internal static class ApiSchemas
{
    private const string Core = "io.k8s.api.core.v1.";
    private const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    private const string Coordination = "io.k8s.api.coordination.v1.";

    private static readonly Dictionary<Type, string> Names = new()
    {
        [typeof(Service)] = Core + "Service",
        [typeof(ServiceSpec)] = Core + "ServiceSpec",
        [typeof(ServicePort)] = Core + "ServicePort",
        [typeof(SessionAffinityConfig)] = Core + "SessionAffinityConfig",
        [typeof(ClientIPConfig)] = Core + "ClientIPConfig",
        [typeof(ServiceStatus)] = Core + "ServiceStatus",
        [typeof(LoadBalancerStatus)] = Core + "LoadBalancerStatus",
        [typeof(LoadBalancerIngress)] = Core + "LoadBalancerIngress",
        [typeof(Endpoints)] = Core + "Endpoints",
        [typeof(EndpointSubset)] = Core + "EndpointSubset",
        [typeof(EndpointAddress)] = Core + "EndpointAddress",
        [typeof(EndpointPort)] = Core + "EndpointPort",
        [typeof(ObjectReference)] = Core + "ObjectReference",
        [typeof(Pod)] = Core + "Pod",
        [typeof(PodSpec)] = Core + "PodSpec",
        [typeof(Container)] = Core + "Container",
        [typeof(PodContainerPort)] = Core + "ContainerPort",
        [typeof(PodStatus)] = Core + "PodStatus",
        [typeof(PodIP)] = Core + "PodIP",
        [typeof(PodCondition)] = Core + "PodCondition",
        [typeof(ContainerStatus)] = Core + "ContainerStatus",
        [typeof(Probe)] = Core + "Probe",
        [typeof(ExecAction)] = Core + "ExecAction",
        [typeof(HttpGetAction)] = Core + "HTTPGetAction",
        [typeof(HttpHeader)] = Core + "HTTPHeader",
        [typeof(TcpSocketAction)] = Core + "TCPSocketAction",
        [typeof(GrpcAction)] = Core + "GRPCAction",
        [typeof(Node)] = Core + "Node",
        [typeof(NodeSpec)] = Core + "NodeSpec",
        [typeof(Taint)] = Core + "Taint",
        [typeof(NodeStatus)] = Core + "NodeStatus",
        [typeof(NodeCondition)] = Core + "NodeCondition",
        [typeof(NodeAddress)] = Core + "NodeAddress",
        [typeof(NodeSystemInfo)] = Core + "NodeSystemInfo",
        [typeof(Lease)] = Coordination + "Lease",
        [typeof(LeaseSpec)] = Coordination + "LeaseSpec",
        [typeof(ObjectMeta)] = Meta + "ObjectMeta",
        [typeof(ManagedFieldsEntry)] = Meta + "ManagedFieldsEntry",
    };

    /// <summary>Maps replaced whole by server-side apply (<c>x-kubernetes-map-type: atomic</c>), as Kubernetes declares them.</summary>
    private static readonly HashSet<(Type, string)> AtomicMaps = [(typeof(ServiceSpec), "selector")];

    /// <summary>Schema defaults that server-side apply fills into list-map keys an item leaves out, as Kubernetes declares them.</summary>
    private static readonly Dictionary<(Type, string), string> Defaults = new()
    {
        [(typeof(ServicePort), "protocol")] = "TCP",
        [(typeof(PodContainerPort), "protocol")] = "TCP",
    };

    /// <summary>Lists that merge by key in a strategic merge patch (and are list-maps), by owner type and field.</summary>
    private static readonly Dictionary<(Type, string), (string MergeKey, string[] MapKeys)> MergeLists = new()
    {
        [(typeof(ServiceSpec), "ports")] = ("port", ["port", "protocol"]),
        [(typeof(PodSpec), "containers")] = ("name", ["name"]),
        [(typeof(Container), "ports")] = ("containerPort", ["containerPort", "protocol"]),
        [(typeof(PodStatus), "conditions")] = ("type", ["type"]),
        [(typeof(PodStatus), "podIPs")] = ("ip", ["ip"]),
        [(typeof(NodeStatus), "conditions")] = ("type", ["type"]),
        [(typeof(NodeStatus), "addresses")] = ("type", ["type"]),
    };

    private static readonly Dictionary<(Type, string), string> Descriptions = new()
    {
        [(typeof(ServiceSpec), "type")] = "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.",
        [(typeof(ServiceSpec), "selector")] = "Route service traffic to pods with label keys and values matching this selector.",
        [(typeof(ServiceSpec), "ports")] = "The list of ports that are exposed by this service.",
        [(typeof(ServiceSpec), "sessionAffinity")] = "Supports \"ClientIP\" and \"None\". Used to maintain session affinity. Enable client IP based session affinity. Must be ClientIP or None. Defaults to None.",
        [(typeof(ServiceSpec), "sessionAffinityConfig")] = "sessionAffinityConfig contains the configurations of session affinity.",
        [(typeof(ServiceSpec), "clusterIP")] = "clusterIP is the IP address of the service and is usually assigned randomly.",
        [(typeof(ServiceSpec), "externalTrafficPolicy")] = "externalTrafficPolicy describes how nodes distribute service traffic they receive on one of the Service's \"externally-facing\" addresses (NodePorts, ExternalIPs, and LoadBalancer IPs).",
        [(typeof(ServiceSpec), "loadBalancerClass")] = "loadBalancerClass is the class of the load balancer implementation this Service belongs to: a label-style identifier such as \"example.com/internal-vip\", set only when type is LoadBalancer, and fixed once set. Unset or \"serviceproxy.io/loadbalancer\": svcproxy gives the address from its load-balancer pool; any other class is left to its controller.",
        [(typeof(ServiceSpec), "healthCheckNodePort")] = "healthCheckNodePort specifies the healthcheck nodePort for the service. This only applies when type is set to LoadBalancer and externalTrafficPolicy is set to Local. If not specified, it is allocated from the NodePort range; every node answers HTTP on it: 200 when it has local endpoints, 503 otherwise.",
        [(typeof(ServiceSpec), "loadBalancerSourceRanges")] = "If specified and supported by the platform, this will restrict traffic through the cloud-provider load-balancer will be restricted to the specified client IPs. svcproxy refuses clients outside them on the load-balancer addresses.",
        [(typeof(ServiceSpec), "loadBalancerIP")] = "Only applies to Service Type: LoadBalancer. The address asked for; svcproxy gives it when it is in its load-balancer pool and free, and leaves the Service pending otherwise.",
        [(typeof(ServicePort), "port")] = "The port that will be exposed by this service.",
        [(typeof(ServicePort), "targetPort")] = "Number or name of the port to access on the pods targeted by the service.",
        [(typeof(ServicePort), "nodePort")] = "The port on each node on which this service is exposed when type is NodePort or LoadBalancer.",
        [(typeof(ClientIPConfig), "timeoutSeconds")] = "timeoutSeconds specifies the seconds of ClientIP type session sticky time. The value must be >0 && <=86400(for 1 day) if ServiceAffinity == \"ClientIP\". Default value is 10800(for 3 hours).",
    };

    private static readonly Dictionary<string, string> KindDescriptions = new()
    {
        ["Service"] = "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.",
        ["Endpoints"] = "Endpoints is a collection of endpoints that implement the actual service.",
        ["Node"] = "Node is a worker node in Kubernetes. In svcproxy, one svcproxy process (or a machine a client registers), Ready while its heartbeat Lease in kube-node-lease is renewed.",
        ["Lease"] = "Lease defines a lease concept.",
        ["Pod"] = "Pod is a collection of containers that can run on a host. In svcproxy, a record of where a backend listens; its status is kept as sent, except the readiness its containers' readiness probes decide.",
    };

    /// <summary>Every definition: the model's, the list kinds, and the meta types they use.</summary>
    /// <param name="refPrefix"><c>#/definitions/</c> (v2) or <c>#/components/schemas/</c> (v3).</param>
    public static JsonObject Definitions(string refPrefix, bool v3)
    {
        var definitions = new JsonObject();
        foreach (var (type, name) in Names)
        {
            definitions[name] = Definition(type, refPrefix, v3);
        }

        foreach (var resource in KubeResource.All)
        {
            var kindName = Names[resource.ClrType];
            definitions[kindName + "List"] = new JsonObject
            {
                ["description"] = $"{resource.ListKind} is a list of {resource.Kind}.",
                ["type"] = "object",
                ["required"] = new JsonArray("items"),
                ["properties"] = new JsonObject
                {
                    ["apiVersion"] = new JsonObject { ["type"] = "string" },
                    ["items"] = new JsonObject { ["type"] = "array", ["items"] = Ref(kindName, refPrefix, v3) },
                    ["kind"] = new JsonObject { ["type"] = "string" },
                    ["metadata"] = Ref(Meta + "ListMeta", refPrefix, v3),
                },
                ["x-kubernetes-group-version-kind"] = Gvk(resource.Group, resource.Version, resource.ListKind),
            };
        }

        definitions[Meta + "ListMeta"] = ObjectOf(("continue", "string"), ("remainingItemCount", "integer"), ("resourceVersion", "string"), ("selfLink", "string"));
        definitions[Meta + "Time"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        definitions[Meta + "FieldsV1"] = new JsonObject { ["type"] = "object", ["description"] = "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format." };
        definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = new JsonObject { ["type"] = "string", ["format"] = "int-or-string" };
        definitions[Meta + "Patch"] = new JsonObject { ["type"] = "object", ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body." };
        definitions[Meta + "Status"] = ObjectOf(("apiVersion", "string"), ("code", "integer"), ("kind", "string"), ("message", "string"), ("reason", "string"), ("status", "string"));
        definitions[Meta + "WatchEvent"] = ObjectOf(("object", "object"), ("type", "string"));
        return definitions;
    }

    /// <summary>A reference to a definition, in the form each version uses for a property (v3 wraps it in allOf).</summary>
    public static JsonObject Ref(string name, string refPrefix, bool v3) =>
        v3 ? new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = refPrefix + name }), ["default"] = new JsonObject() }
           : new JsonObject { ["$ref"] = refPrefix + name };

    public static JsonArray Gvk(string group, string version, string kind) =>
        new(new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = kind });

    public static string NameOf(string kind) => KubeResource.OfKind(kind) is { } stored ? Names[stored.ClrType] : Core + kind;

    private static JsonObject Definition(Type type, string refPrefix, bool v3)
    {
        var info = KubeJson.Options.GetTypeInfo(type);
        var properties = new JsonObject();
        foreach (var property in info.Properties.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var schema = Property(type, property, refPrefix, v3);
            if (Descriptions.TryGetValue((type, property.Name), out var description))
            {
                schema["description"] = description;
            }

            if (AtomicMaps.Contains((type, property.Name)))
            {
                schema["x-kubernetes-map-type"] = "atomic";
            }

            if (Defaults.TryGetValue((type, property.Name), out var defaultValue))
            {
                schema["default"] = defaultValue;
            }

            properties[property.Name] = schema;
        }

        var definition = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (typeof(KubeObject).IsAssignableFrom(type))
        {
            var kind = type.Name;
            if (KindDescriptions.TryGetValue(kind, out var description))
            {
                definition["description"] = description;
            }

            definition["x-kubernetes-group-version-kind"] = Gvk(KubeResource.OfKind(kind)?.Group ?? string.Empty, "v1", kind);
        }

        var required = type == typeof(ServicePort) ? "port" : type == typeof(Container) ? "name" : type == typeof(PodContainerPort) ? "containerPort" : null;
        if (required is not null)
        {
            definition["required"] = new JsonArray(required);
        }

        return definition;
    }

    private static JsonObject Property(Type owner, JsonPropertyInfo property, string refPrefix, bool v3)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var list = new JsonObject { ["type"] = "array", ["items"] = Scalar(type.GetGenericArguments()[0], refPrefix, v3) };
            if (MergeLists.TryGetValue((owner, property.Name), out var merge))
            {
                list["x-kubernetes-list-map-keys"] = DiscoveryApi.Strings(merge.MapKeys);
                list["x-kubernetes-list-type"] = "map";
                list["x-kubernetes-patch-merge-key"] = merge.MergeKey;
                list["x-kubernetes-patch-strategy"] = "merge";
            }
            else
            {
                list["x-kubernetes-list-type"] = "atomic";
            }

            return list;
        }

        return Scalar(type, refPrefix, v3);
    }

    private static JsonObject Scalar(Type type, string refPrefix, bool v3)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = type == typeof(int) ? "int32" : "int64" };
        }

        if (type == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (type == typeof(DateTimeOffset))
        {
            return Ref(Meta + "Time", refPrefix, v3);
        }

        if (type == typeof(System.Text.Json.JsonElement))
        {
            return Ref(Meta + "FieldsV1", refPrefix, v3);
        }

        if (type == typeof(IntOrString))
        {
            return Ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString", refPrefix, v3);
        }

        if (type == typeof(IReadOnlyDictionary<string, string>))
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string", ["default"] = string.Empty } };
        }

        return Names.TryGetValue(type, out var name)
            ? Ref(name, refPrefix, v3)
            : throw new InvalidOperationException($"no OpenAPI schema for {type}");
    }

    private static JsonObject ObjectOf(params (string Name, string Type)[] properties) => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject([.. properties.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)new JsonObject { ["type"] = p.Type }))]),
    };
}

using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// OpenAPI schemas of the derived, read-only kinds (EndpointSlice, Event, Namespace), which have
/// no model type to generate them from: the fields svcproxy writes, under Kubernetes' names.
/// </summary>
internal static class ReadOnlySchemas
{
    private const string Discovery = "io.k8s.api.discovery.v1.";
    private const string Core = "io.k8s.api.core.v1.";
    private const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    private const string EventsV1 = "io.k8s.api.events.v1.";

    public static string NameOf(string group, string kind) => group switch
    {
        "discovery.k8s.io" => Discovery + kind,
        "events.k8s.io" => EventsV1 + kind,
        _ => Core + kind,
    };

    public static IEnumerable<(string Name, JsonObject Schema)> Definitions(string refPrefix, bool v3)
    {
        JsonObject Ref(string name) => ApiSchemas.Ref(name, refPrefix, v3);
        JsonObject Str() => new() { ["type"] = "string" };
        JsonObject Array(JsonObject items, string listType = "atomic") => new() { ["type"] = "array", ["items"] = items, ["x-kubernetes-list-type"] = listType };

        yield return Kind(Discovery + "EndpointSlice", "discovery.k8s.io", "EndpointSlice", "EndpointSlice represents a subset of the endpoints that implement a service.", refPrefix, v3, new JsonObject
        {
            ["addressType"] = Str(),
            ["endpoints"] = Array(Ref(Discovery + "Endpoint")),
            ["ports"] = Array(Ref(Discovery + "EndpointPort")),
        }, "addressType", "endpoints");
        yield return (Discovery + "Endpoint", Object(new JsonObject
        {
            ["addresses"] = new JsonObject { ["type"] = "array", ["items"] = Str(), ["x-kubernetes-list-type"] = "set" },
            ["conditions"] = Ref(Discovery + "EndpointConditions"),
            ["hostname"] = Str(),
            ["nodeName"] = Str(),
            ["targetRef"] = Ref(Core + "ObjectReference"),
        }, "addresses"));
        yield return (Discovery + "EndpointConditions", Object(new JsonObject
        {
            ["ready"] = new JsonObject { ["type"] = "boolean" },
            ["serving"] = new JsonObject { ["type"] = "boolean" },
            ["terminating"] = new JsonObject { ["type"] = "boolean" },
        }));
        yield return (Discovery + "EndpointPort", Object(new JsonObject
        {
            ["appProtocol"] = Str(),
            ["name"] = Str(),
            ["port"] = new JsonObject { ["type"] = "integer", ["format"] = "int32" },
            ["protocol"] = Str(),
        }));
        yield return List(Discovery + "EndpointSlice", "discovery.k8s.io", "EndpointSliceList", refPrefix, v3);

        JsonObject Time() => new() { ["type"] = "string", ["format"] = "date-time" };
        JsonObject Int() => new() { ["type"] = "integer", ["format"] = "int32" };
        yield return Kind(Core + "Event", string.Empty, "Event", "Event is a report of an event somewhere in the cluster.", refPrefix, v3, new JsonObject
        {
            ["count"] = Int(),
            ["eventTime"] = Time(),
            ["firstTimestamp"] = Time(),
            ["involvedObject"] = Ref(Core + "ObjectReference"),
            ["lastTimestamp"] = Time(),
            ["message"] = Str(),
            ["reason"] = Str(),
            ["reportingComponent"] = Str(),
            ["reportingInstance"] = Str(),
            ["source"] = Object(new JsonObject { ["component"] = Str(), ["host"] = Str() }),
            ["type"] = Str(),
        }, "involvedObject");
        yield return Kind(EventsV1 + "Event", "events.k8s.io", "Event", "Event is a report of an event somewhere in the cluster.", refPrefix, v3, new JsonObject
        {
            ["deprecatedCount"] = Int(),
            ["deprecatedFirstTimestamp"] = Time(),
            ["deprecatedLastTimestamp"] = Time(),
            ["deprecatedSource"] = Object(new JsonObject { ["component"] = Str(), ["host"] = Str() }),
            ["eventTime"] = Time(),
            ["note"] = Str(),
            ["reason"] = Str(),
            ["regarding"] = Ref(Core + "ObjectReference"),
            ["reportingController"] = Str(),
            ["reportingInstance"] = Str(),
            ["type"] = Str(),
        }, "eventTime");
        yield return List(EventsV1 + "Event", "events.k8s.io", "EventList", refPrefix, v3);
        yield return List(Core + "Event", string.Empty, "EventList", refPrefix, v3);

        yield return Kind(Core + "Namespace", string.Empty, "Namespace", "Namespace provides a scope for Names.", refPrefix, v3, new JsonObject
        {
            ["spec"] = Object(new JsonObject { ["finalizers"] = Array(Str()) }),
            ["status"] = Object(new JsonObject { ["phase"] = Str() }),
        });
        yield return List(Core + "Namespace", string.Empty, "NamespaceList", refPrefix, v3);

    }

    private static (string, JsonObject) Kind(string name, string group, string kind, string description, string refPrefix, bool v3, JsonObject properties, params string[] required)
    {
        properties["apiVersion"] = new JsonObject { ["type"] = "string" };
        properties["kind"] = new JsonObject { ["type"] = "string" };
        properties["metadata"] = ApiSchemas.Ref(Meta + "ObjectMeta", refPrefix, v3);
        var schema = Object(properties, required);
        schema["description"] = description;
        schema["x-kubernetes-group-version-kind"] = ApiSchemas.Gvk(group, "v1", kind);
        return (name, schema);
    }

    private static (string, JsonObject) List(string itemName, string group, string listKind, string refPrefix, bool v3)
    {
        var schema = Object(
            new JsonObject
            {
                ["apiVersion"] = new JsonObject { ["type"] = "string" },
                ["items"] = new JsonObject { ["type"] = "array", ["items"] = ApiSchemas.Ref(itemName, refPrefix, v3) },
                ["kind"] = new JsonObject { ["type"] = "string" },
                ["metadata"] = ApiSchemas.Ref(Meta + "ListMeta", refPrefix, v3),
            },
            "items");
        schema["x-kubernetes-group-version-kind"] = ApiSchemas.Gvk(group, "v1", listKind);
        return (itemName + "List", schema);
    }

    private static JsonObject Object(JsonObject properties, params string[] required)
    {
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (required.Length > 0)
        {
            schema["required"] = DiscoveryApi.Strings(required);
        }

        return schema;
    }
}

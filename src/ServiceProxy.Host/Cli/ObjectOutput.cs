using ServiceProxy.Kubernetes.Manifests;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Serialization;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Cli;

/// <summary>Machine-readable output: <c>-o json</c>, <c>-o yaml</c> and <c>-o name</c>, as kubectl prints them.</summary>
internal static class ObjectOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 4 };

    public static string Json(JsonNode node) => node.ToJsonString(Indented) + "\n";

    public static string Yaml(JsonNode node) => KubeYaml.ToYaml(node);

    /// <summary>A list as kubectl prints one: <c>kind: List</c>, items with their kind and apiVersion.</summary>
    public static JsonNode AsList(KubeResource resource, IEnumerable<JsonNode> items) => new JsonObject
    {
        ["apiVersion"] = "v1",
        ["items"] = new JsonArray([.. items.Select(i => WithKind(resource, i))]),
        ["kind"] = "List",
        ["metadata"] = new JsonObject { ["resourceVersion"] = string.Empty },
    };

    public static JsonNode WithKind(KubeResource resource, JsonNode item)
    {
        var copy = item.DeepClone();
        if (copy is JsonObject obj)
        {
            obj["apiVersion"] ??= resource.ApiVersion;
            obj["kind"] ??= resource.Kind;
        }

        return copy;
    }

    public static string Name(KubeResource resource, KubeObject obj) => $"{resource.Singular}/{obj.Metadata.Name}";

    public static KubeObject ToObject(KubeResource resource, JsonNode node) => resource.Deserialize(node, KubeJson.Options);
}

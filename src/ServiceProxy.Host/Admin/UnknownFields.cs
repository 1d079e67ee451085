using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ServiceProxy.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The fields of a JSON object that its type does not have, as kube-apiserver's strict decoder
/// names them (<c>spec.portz</c>, <c>spec.ports[0].nodeport</c>), in document order. Names are
/// case-sensitive, as in Kubernetes: <c>clusterip</c> is unknown even though <c>clusterIP</c> exists.
/// </summary>
internal static class UnknownFields
{
    public static List<string> Find(JsonObject obj, Type type)
    {
        var found = new List<string>();
        Walk(obj, type, string.Empty, found);
        return found;
    }

    private static void Walk(JsonNode? node, Type type, string path, List<string> found)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (node is JsonArray array && ElementType(type) is { } element)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Walk(array[i], element, $"{path}[{i}]", found);
            }

            return;
        }

        if (node is not JsonObject obj || type == typeof(string) || type.IsPrimitive || type == typeof(IntOrString)
            || type == typeof(DateTimeOffset) || type == typeof(IReadOnlyDictionary<string, string>))
        {
            return;
        }

        var info = KubeJson.Options.GetTypeInfo(type);
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var (name, value) in obj)
        {
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
            if (property is null)
            {
                found.Add(childPath);
                continue;
            }

            Walk(value, property.PropertyType, childPath, found);
        }
    }

    private static Type? ElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    /// <summary>kube-apiserver's message for them: <c>strict decoding error: unknown field "a", unknown field "b"</c>.</summary>
    public static string Message(IEnumerable<string> fields) =>
        "strict decoding error: " + string.Join(", ", fields.Select(f => $"unknown field \"{f}\""));

    /// <summary>One Warning header value per field, as kube-apiserver sends them for fieldValidation=Warn.</summary>
    public static string Warning(string field) => $"299 - \"unknown field \\\"{field}\\\"\"";
}

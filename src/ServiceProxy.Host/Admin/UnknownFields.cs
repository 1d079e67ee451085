using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The fields of a JSON object that its type does not have, as kube-apiserver's strict decoder
/// names them (<c>spec.portz</c>, <c>spec.ports[0].nodeport</c>), in document order. Names are
/// case-sensitive, as in Kubernetes: <c>clusterip</c> is unknown even though <c>clusterIP</c> exists.
/// </summary>
internal static class UnknownFields
{
    /// <summary>
    /// At most this many are reported, as kube-apiserver's decoder (sigs.k8s.io/json) keeps at most
    /// 100 strict decoding errors; the walk stops there, so a body of 300 000 unknown fields costs no
    /// more than one of 100.
    /// </summary>
    public const int MaxReported = 100;

    private static readonly ConcurrentDictionary<Type, FrozenDictionary<string, JsonPropertyInfo>> PropertiesByType = new();

    public static List<string> Find(JsonObject obj, Type type)
    {
        var found = new List<string>();
        Walk(obj, type, string.Empty, found);
        return found;
    }

    private static void Walk(JsonNode? node, Type type, string path, List<string> found)
    {
        if (found.Count >= MaxReported)
        {
            return;
        }

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

        var properties = PropertiesByType.GetOrAdd(type, _ => info.Properties.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal));
        foreach (var (name, value) in obj)
        {
            if (found.Count >= MaxReported)
            {
                return;
            }

            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (!properties.TryGetValue(name, out var property))
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

    /// <summary>The warning for one field, as kube-apiserver words it for fieldValidation=Warn, quoted so that it fits in a header.</summary>
    public static string Warning(string field) => $"unknown field {WarningRecorder.QuoteAscii(field)}";
}

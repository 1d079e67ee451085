using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Manifests;

namespace ServiceProxy.Host.Serialization;

/// <summary>
/// JSON text to a <see cref="JsonNode"/> within a depth budget, with duplicate fields resolved as
/// Go's encoding/json does (the last one wins) and named, so that kube-apiserver's strict decoding
/// (<c>duplicate field "metadata.name"</c>) can report them.
/// </summary>
internal static class JsonBodyReader
{
    /// <summary>Nesting depth of objects and arrays: the YAML reader's, so both media types agree.</summary>
    public const int MaxDepth = ManifestReader.MaxDepth;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    /// <exception cref="JsonException">Not JSON, or nested deeper than <see cref="MaxDepth"/>.</exception>
    public static JsonNode? Parse(string text, List<string> duplicateFields)
    {
        // Not disposed: number values keep reading their text from the document, as JsonNode.Parse's do.
        var document = JsonDocument.Parse(text, DocumentOptions);
        return ToNode(document.RootElement, string.Empty, duplicateFields);
    }

    private static JsonNode? ToNode(JsonElement element, string path, List<string> duplicateFields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var name = StringOf(() => property.Name);
                    var child = path.Length == 0 ? name : $"{path}.{name}";
                    if (obj.ContainsKey(name))
                    {
                        duplicateFields.Add(child);
                        obj.Remove(name);
                    }

                    obj[name] = ToNode(property.Value, child, duplicateFields);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(ToNode(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]"), duplicateFields));
                }

                return array;
            case JsonValueKind.String:
                return JsonValue.Create(StringOf(element.GetString));
            case JsonValueKind.True:
                return JsonValue.Create(true);
            case JsonValueKind.False:
                return JsonValue.Create(false);
            case JsonValueKind.Number:
                return JsonValue.Create(element);
            default:
                return null;
        }
    }

    /// <summary>A string; an escaped lone surrogate (<c>"\ud800"</c>) is not text, and is refused as such.</summary>
    private static string StringOf(Func<string?> read)
    {
        try
        {
            return read() ?? string.Empty;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException(e.Message, e);
        }
    }
}

using System.Globalization;
using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// YAML (or JSON) text to JSON values, read by <see cref="YamlTreeReader"/> with its budgets and
/// resolved by <see cref="YamlScalars"/>, so <see cref="ManifestReader"/>'s JSON documents and its
/// typed objects read a text the same way (<c>yes</c> and <c>on</c> are <c>true</c> in both).
/// </summary>
internal static class YamlToJson
{
    /// <summary>Every non-empty document of a (possibly multi-document) text.</summary>
    /// <exception cref="FormatException">Not YAML, over a budget, or a value JSON cannot hold; the message starts with <c>line N:</c>.</exception>
    public static IReadOnlyList<JsonNode> ParseDocuments(string text)
    {
        var documents = ReadTrees(text);
        var nodes = new List<JsonNode>(documents.Count);
        foreach (var document in documents)
        {
            if (document.Root is not null && Convert(document.Root) is { } node)
            {
                nodes.Add(node);
            }
        }

        return nodes;
    }

    /// <summary>Every document of a text as a node tree.</summary>
    /// <exception cref="FormatException">Not YAML or over a budget; the message starts with <c>line N:</c>.</exception>
    public static List<YamlDocument> ReadTrees(string text)
    {
        var (documents, error) = YamlTreeReader.Read(text);
        if (error is not null)
        {
            var field = error.Field is null ? string.Empty : error.Field + ": ";
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {error.Line}: {field}{error.Message}"));
        }

        return documents;
    }

    /// <summary>
    /// One node as JSON. Each alias use becomes its own copy (JSON has no sharing), which the
    /// reader's alias budget keeps bounded; its depth budget bounds this recursion.
    /// </summary>
    /// <exception cref="FormatException">A value JSON cannot hold (<c>.inf</c>, <c>!!int abc</c>).</exception>
    public static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMapping mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Entries)
                {
                    obj[key.Value] = Convert(value);
                }

                return obj;
            case YamlSequence sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Items)
                {
                    array.Add(Convert(item));
                }

                return array;
            default:
                return Scalar((YamlScalar)node);
        }
    }

    private static JsonValue? Scalar(YamlScalar scalar)
    {
        switch (YamlScalars.Resolve(scalar))
        {
            case YamlScalarKind.Null:
                return null;
            case YamlScalarKind.Bool when YamlScalars.TryParseBool(scalar.Value, out var flag):
                return JsonValue.Create(flag);
            case YamlScalarKind.Int when YamlScalars.TryParseInt(scalar.Value, out var integer):
                return JsonValue.Create(integer);
            case YamlScalarKind.Int or YamlScalarKind.Float when YamlScalars.TryParseFloat(scalar.Value, out var real):
                // Like sigs.k8s.io/yaml: an integer beyond 64 bits becomes a float; JSON has no infinity or NaN.
                return double.IsFinite(real)
                    ? JsonValue.Create(real)
                    : throw Invalid(scalar, $"unsupported value: {scalar.Value} (JSON numbers are finite)");
            case YamlScalarKind.String:
                return JsonValue.Create(scalar.Value);
            default:
                throw Invalid(scalar, $"cannot decode {scalar.Tag ?? "!!int"} `{scalar.Value}`");
        }
    }

    private static FormatException Invalid(YamlScalar scalar, string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"line {scalar.Line}: {message}"));
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// JSON to YAML, the way kubectl writes it: keys sorted like Go's yaml.Marshal, and a string quoted
/// whenever Kubernetes' YAML 1.1 reading would take it for something else (<c>"yes"</c>), so
/// <see cref="ManifestReader"/> reads the output back to the same JSON.
/// </summary>
public static class KubeYaml
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>YAML as kubectl prints it: keys sorted, two-space indent, list items at the key's indent.</summary>
    public static string ToYaml(JsonNode? node)
    {
        var builder = new StringBuilder();
        WriteValue(builder, node, 0, inSequence: false);
        return builder.ToString();
    }

    private static void WriteValue(StringBuilder builder, JsonNode? node, int indent, bool inSequence)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!(first && inSequence))
                    {
                        builder.Append(' ', indent);
                    }

                    first = false;
                    builder.Append(Scalar(key)).Append(':');
                    WriteNested(builder, value, indent);
                }

                break;
            case JsonArray array when array.Count > 0:
                var firstItem = true;
                foreach (var item in array)
                {
                    if (!(firstItem && inSequence))
                    {
                        builder.Append(' ', indent);
                    }

                    firstItem = false;
                    builder.Append("- ");
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 })
                    {
                        WriteValue(builder, item, indent + 2, inSequence: true);
                    }
                    else
                    {
                        builder.Append(Inline(item)).Append('\n');
                    }
                }

                break;
            default:
                builder.Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteNested(StringBuilder builder, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 }:
                builder.Append('\n');
                WriteValue(builder, value, indent + 2, inSequence: false);
                break;
            case JsonArray { Count: > 0 }:
                builder.Append('\n');
                WriteValue(builder, value, indent, inSequence: false);
                break;
            default:
                builder.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    /// <summary>A string as a plain scalar when that reads back as the same string, else double-quoted.</summary>
    private static string Scalar(string value)
    {
        if (value.Length == 0 || NeedsQuotes(value))
        {
            return JsonSerializer.Serialize(value, Relaxed);
        }

        return value;
    }

    private static bool NeedsQuotes(string value)
    {
        if (YamlScalars.Resolve(value, ScalarStyle.Plain, tag: null) != YamlScalarKind.String)
        {
            return true;
        }

        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) || "-?:,[]{}#&*!|>'\"%@`".Contains(value[0]))
        {
            return true;
        }

        // Indicators inside a plain scalar are legal YAML, but not every reader takes them so ("a *b: c").
        return value.Contains(": ", StringComparison.Ordinal) || value.AsSpan().IndexOfAny("#{}[],&*!|>'\"%@`") >= 0
            || value.Any(c => char.IsControl(c)) || value.EndsWith(':');
    }
}

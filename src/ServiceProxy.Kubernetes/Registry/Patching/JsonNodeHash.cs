using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Registry.Patching;

/// <summary>
/// A hash that agrees with <see cref="JsonNode.DeepEquals"/>: nodes it calls equal hash alike
/// (member order ignored, numbers by value), so a dictionary keyed by it finds candidates in O(1)
/// and DeepEquals confirms them.
/// </summary>
internal static class JsonNodeHash
{
    public static int Of(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return 0;
            case JsonObject obj:
                var members = 0x5bd1e995;
                foreach (var (name, member) in obj)
                {
                    // Order-independent, as DeepEquals compares objects member by member by name.
                    members += HashCode.Combine(StringComparer.Ordinal.GetHashCode(name), Of(member));
                }

                return members;
            case JsonArray array:
                var items = new HashCode();
                items.Add(array.Count);
                foreach (var item in array)
                {
                    items.Add(Of(item));
                }

                return items.ToHashCode();
            default:
                var value = (JsonValue)node;
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => StringComparer.Ordinal.GetHashCode(value.GetValue<string>()),
                    JsonValueKind.Number when double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number.GetHashCode(),
                    var kind => (int)kind,
                };
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// Path elements in their FieldsV1 spelling, which is also how they are compared: <c>f:name</c>
/// (a field), <c>k:{"port":80,"protocol":"TCP"}</c> (an item of a list keyed by fields, keys
/// sorted by name), <c>v:"a"</c> (an item of a set) and <c>i:3</c> (an index).
/// </summary>
internal static class PathElement
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Field(string name) => "f:" + name;

    public static string Value(JsonNode? value) => "v:" + Json(value);

    public static string Index(int index) => "i:" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The key of a list-map item from its key fields, in name order.</summary>
    public static string Key(IEnumerable<KeyValuePair<string, JsonNode?>> fields)
    {
        var key = new JsonObject();
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            key[name] = value?.DeepClone();
        }

        return "k:" + key.ToJsonString(Compact);
    }

    public static bool IsValid(string element) =>
        element.Length >= 2 && element[1] == ':' && element[0] is 'f' or 'k' or 'v' or 'i';

    /// <summary>The FieldsV1 order of element kinds: fields, keys, values, indexes.</summary>
    public static int Rank(string element) => element[0] switch
    {
        'f' => 0,
        'k' => 1,
        'v' => 2,
        _ => 3,
    };

    /// <summary>A path as structured-merge-diff prints it: <c>.spec.ports[port=80,protocol="TCP"].targetPort</c>.</summary>
    public static string Display(IEnumerable<string> path)
    {
        var text = new StringBuilder();
        foreach (var element in path)
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    text.Append('.').Append(body);
                    break;
                case 'k':
                    text.Append('[');
                    var first = true;
                    foreach (var (name, value) in ParseObject(body))
                    {
                        text.Append(first ? string.Empty : ",").Append(name).Append('=').Append(Json(value));
                        first = false;
                    }

                    text.Append(']');
                    break;
                case 'v':
                    text.Append("[=").Append(body).Append(']');
                    break;
                default:
                    text.Append('[').Append(body).Append(']');
                    break;
            }
        }

        return text.ToString();
    }

    private static string Json(JsonNode? value) => value?.ToJsonString(Compact) ?? "null";

    private static JsonObject ParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}

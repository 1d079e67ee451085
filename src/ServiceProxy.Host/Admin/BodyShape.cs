using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Checks a body's JSON against its type the way Go's encoding/json binds it in kube-apiserver,
/// before the object is bound: <c>null</c> is the field's zero value (a field left out, an empty
/// list item, an empty string as a map value), and a value of the wrong type or out of range is
/// <c>json: cannot unmarshal number 1e400 into Go struct field ServicePort.spec.ports.port of type int32</c>.
/// Unknown fields are left alone (<see cref="UnknownFields"/> reports them).
/// </summary>
internal static class BodyShape
{
    /// <summary>Rewrites the nulls of <paramref name="obj"/> in place.</summary>
    /// <exception cref="JsonException">The first value of the wrong type, in kube-apiserver's words.</exception>
    public static void Normalize(JsonObject obj, Type type) => Object(obj, type, string.Empty);

    private static void Object(JsonObject obj, Type type, string path)
    {
        var info = KubeJson.Options.GetTypeInfo(type);
        foreach (var (name, value) in obj.ToArray())
        {
            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));
            if (property is null || property.Set is null)
            {
                continue;
            }

            var child = path.Length == 0 ? name : $"{path}.{name}";
            if (value is null)
            {
                obj.Remove(name); // Go leaves the field at its zero value: as if it were absent
                continue;
            }

            var replacement = Value(value, property.PropertyType, child, type);
            if (!ReferenceEquals(replacement, value))
            {
                obj[name] = replacement;
            }
        }
    }

    /// <summary>Checks <paramref name="node"/>; returns it, or the zero value that replaces a null.</summary>
    private static JsonNode Value(JsonNode? node, Type type, string path, Type owner)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return node is null ? JsonValue.Create(string.Empty) : Expect(node, JsonValueKind.String, path, owner, "string");
        }

        if (type == typeof(int) || type == typeof(long))
        {
            var goType = type == typeof(int) ? "int32" : "int64";
            if (node is null)
            {
                return JsonValue.Create(0);
            }

            return IsInteger(node, type == typeof(int) ? int.MinValue : long.MinValue, type == typeof(int) ? int.MaxValue : long.MaxValue)
                ? node
                : throw Mismatch(node, path, owner, goType);
        }

        if (type == typeof(IntOrString))
        {
            var fits = node is JsonValue && (node.GetValueKind() == JsonValueKind.String || IsInteger(node, int.MinValue, int.MaxValue));
            return node is null || fits ? node ?? JsonValue.Create(0) : throw Mismatch(node, path, owner, "intstr.IntOrString");
        }

        if (type == typeof(DateTimeOffset))
        {
            return node is null ? JsonValue.Create(string.Empty) : Expect(node, JsonValueKind.String, path, owner, "v1.Time");
        }

        if (type == typeof(IReadOnlyDictionary<string, string>))
        {
            var map = Expect(node ?? new JsonObject(), JsonValueKind.Object, path, owner, "map[string]string").AsObject();
            foreach (var (key, value) in map.ToArray())
            {
                var checkedValue = Value(value, typeof(string), path, owner);
                if (!ReferenceEquals(checkedValue, value))
                {
                    map[key] = checkedValue; // kube-apiserver stores a null label or annotation value as ""
                }
            }

            return map;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = type.GetGenericArguments()[0];
            var list = Expect(node ?? new JsonArray(), JsonValueKind.Array, path, owner, "[]" + GoName(element)).AsArray();
            for (var i = 0; i < list.Count; i++)
            {
                var item = list[i];
                var checkedItem = Value(item, element, path, owner);
                if (!ReferenceEquals(checkedItem, item))
                {
                    list[i] = checkedItem; // a null item is the element's zero value: {} for an object, "" for a string
                }
            }

            return list;
        }

        if (KubeJson.Options.GetTypeInfo(type).Kind == JsonTypeInfoKind.Object)
        {
            var obj = Expect(node ?? new JsonObject(), JsonValueKind.Object, path, owner, GoName(type)).AsObject();
            Object(obj, type, path);
            return obj;
        }

        return node ?? throw new JsonException($"json: cannot unmarshal null into Go struct field {owner.Name}.{path}");
    }

    /// <summary>A JSON number written as an integer in range (<c>80</c>; not <c>80.0</c>, <c>8e1</c> or <c>1e400</c>), as Go reads one.</summary>
    private static bool IsInteger(JsonNode node, long min, long max) =>
        node.GetValueKind() == JsonValueKind.Number
        && long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
        && value >= min && value <= max;

    private static JsonNode Expect(JsonNode node, JsonValueKind kind, string path, Type owner, string goType) =>
        node.GetValueKind() == kind ? node : throw Mismatch(node, path, owner, goType);

    /// <summary>Go's UnmarshalTypeError: the JSON value, the struct field (path without list indexes) and the Go type.</summary>
    private static JsonException Mismatch(JsonNode node, string path, Type owner, string goType)
    {
        var value = node.GetValueKind() switch
        {
            JsonValueKind.Number => "number " + node.ToJsonString(),
            JsonValueKind.True or JsonValueKind.False => "bool",
            var kind => kind.ToString().ToLowerInvariant(),
        };
        var field = System.Text.RegularExpressions.Regex.Replace(path, @"\[\d+\]", string.Empty);
        return new JsonException(string.Create(CultureInfo.InvariantCulture, $"json: cannot unmarshal {value} into Go struct field {owner.Name}.{field} of type {goType}"));
    }

    private static string GoName(Type type) => type == typeof(string) ? "string" : "v1." + type.Name;
}

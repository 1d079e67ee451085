using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// The structured-merge schema of each kind, read from the OpenAPI definitions the API serves
/// (<see cref="ApiSchemas"/>): <c>x-kubernetes-list-type</c>, <c>x-kubernetes-list-map-keys</c>,
/// <c>x-kubernetes-map-type</c> and field defaults decide how values merge, so what kubectl reads
/// and what the server merges by are one description.
/// </summary>
internal sealed class OpenApiTypeSchemas
{
    private const string RefPrefix = "#/definitions/";

    private readonly JsonObject _definitions;
    private readonly ConcurrentDictionary<string, TypeSchema> _byName = new(StringComparer.Ordinal);

    public OpenApiTypeSchemas(JsonObject definitions) => _definitions = definitions;

    /// <summary>The schemas of the kinds the API serves.</summary>
    public static OpenApiTypeSchemas Served { get; } = new(ApiSchemas.Definitions(RefPrefix, v3: false));

    /// <summary>The schema of a kind (<c>Service</c>), from its definition.</summary>
    public TypeSchema ForKind(string kind) => Named(ApiSchemas.NameOf(kind));

    private TypeSchema Named(string name) =>
        _byName.GetOrAdd(name, n => _definitions[n] is JsonObject definition ? FromSchema(definition) : TypeSchema.Deduced);

    private TypeSchema FromSchema(JsonObject schema)
    {
        if (RefOf(schema) is { } reference)
        {
            return Named(reference);
        }

        var type = (schema["type"] as JsonValue)?.ToString();
        switch (type)
        {
            case "array":
                var listType = (schema["x-kubernetes-list-type"] as JsonValue)?.ToString() switch
                {
                    "map" => ListType.Map,
                    "set" => ListType.Set,
                    _ => ListType.Atomic,
                };
                var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => k!.ToString()).ToArray() ?? [];
                var items = schema["items"] as JsonObject;
                return new TypeSchema(SchemaKind.List, listType == ListType.Atomic, listType, keys,
                    elementResolver: () => items is null ? TypeSchema.Deduced : FromSchema(items));
            case "object":
                var atomic = (schema["x-kubernetes-map-type"] as JsonValue)?.ToString() == "atomic";
                if (schema["properties"] is JsonObject properties)
                {
                    var defaults = properties
                        .Where(p => p.Value is JsonObject { } property && property["default"] is JsonValue)
                        .ToDictionary(p => p.Key, p => p.Value!["default"]!.DeepClone(), StringComparer.Ordinal);
                    return new TypeSchema(SchemaKind.Struct, atomic, fieldNames: [.. properties.Select(p => p.Key)],
                        fieldResolver: name => properties[name] is JsonObject property ? FromSchema(property) : TypeSchema.Deduced,
                        defaults: defaults);
                }

                if (schema["additionalProperties"] is JsonObject values)
                {
                    return new TypeSchema(SchemaKind.Map, atomic, elementResolver: () => FromSchema(values));
                }

                return TypeSchema.Deduced;
            case "string" or "integer" or "number" or "boolean":
                return TypeSchema.Leaf;
            default:
                return TypeSchema.Deduced;
        }
    }

    private static string? RefOf(JsonObject schema)
    {
        var reference = (schema["$ref"] as JsonValue)?.ToString()
            ?? ((schema["allOf"] as JsonArray)?.FirstOrDefault() as JsonObject)?["$ref"]?.ToString();
        return reference is not null && reference.StartsWith(RefPrefix, StringComparison.Ordinal) ? reference[RefPrefix.Length..] : null;
    }
}

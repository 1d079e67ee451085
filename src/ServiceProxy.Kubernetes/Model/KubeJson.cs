using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>System.Text.Json settings that read and write objects with Kubernetes field names.</summary>
public static class KubeJson
{
    /// <summary>camelCase names (<c>clusterIP</c>, <c>podIP</c>), nulls omitted.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>The CLR type of a kind, or null for kinds ServiceProxy does not handle.</summary>
    public static Type? TypeOfKind(string? kind) => kind switch
    {
        "Service" => typeof(Service),
        "Endpoints" => typeof(Endpoints),
        "Pod" => typeof(Pod),
        "Node" => typeof(Node),
        "Lease" => typeof(Lease),
        _ => null,
    };

    /// <summary>The size in bytes of <paramref name="obj"/> as JSON, counted without building the text.</summary>
    public static long SizeOf(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        using var counter = new ByteCountingStream();
        JsonSerializer.Serialize(counter, obj, obj.GetType(), Options);
        return counter.Length;
    }

    /// <summary>The size in bytes of <paramref name="node"/> as JSON (4 for null), counted without building the text.</summary>
    public static long SizeOf(JsonNode? node)
    {
        if (node is null)
        {
            return 4;
        }

        using var counter = new ByteCountingStream();
        using (var writer = new Utf8JsonWriter(counter))
        {
            node.WriteTo(writer);
        }

        return counter.Length;
    }
}

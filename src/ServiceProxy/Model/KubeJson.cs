using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServiceProxy.Model;

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
        _ => null,
    };
}

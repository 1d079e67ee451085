using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>Applies the three PATCH media types kube-apiserver accepts to an object's JSON.</summary>
internal static class ObjectPatcher
{
    /// <exception cref="FormatException">The patch is malformed or does not apply.</exception>
    public static JsonNode? Apply(string mediaType, JsonNode live, JsonNode patch) => mediaType switch
    {
        "application/json-patch+json" => JsonPatch.Apply(live, patch),
        "application/merge-patch+json" => MergePatch(live, patch),
        "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(live, patch),
        _ => throw new ApiException(ApiStatus.UnsupportedMediaType()),
    };

    /// <summary>RFC 7386: objects merge recursively, null deletes, anything else (lists too) replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = MergePatch(result[key], value);
            }
        }

        return result;
    }
}

using System.Text.Json.Nodes;

namespace ServiceProxy.Registry.Patching;

/// <summary>JSON merge patch (RFC 7386), what <c>kubectl patch --type merge</c> sends.</summary>
public static class JsonMergePatch
{
    /// <summary>
    /// Returns <paramref name="target"/> patched: objects merge member by member, a null member
    /// removes it, anything else (arrays included) replaces. Neither input is modified.
    /// </summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = Apply(result[name], value);
            }
        }

        return result;
    }
}

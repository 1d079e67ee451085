using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Registry.Patching;

/// <summary>JSON merge patch (RFC 7386), what <c>kubectl patch --type merge</c> sends.</summary>
public static class JsonMergePatch
{
    /// <summary>
    /// Returns <paramref name="target"/> patched: objects merge member by member, a null member
    /// removes it, anything else (arrays included) replaces. Neither input is modified.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch, CancellationToken cancellationToken = default)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        // One copy of the target, merged into in place: copying again at every level would cost depth times size.
        return MergeInto(target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [], patchObject, cancellationToken);
    }

    private static JsonObject MergeInto(JsonObject result, JsonObject patch, CancellationToken cancellationToken)
    {
        foreach (var (name, value) in patch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (value)
            {
                case null:
                    result.Remove(name);
                    break;
                case JsonObject child when result[name] is JsonObject existing:
                    MergeInto(existing, child, cancellationToken);
                    break;
                case JsonObject child:
                    result[name] = MergeInto([], child, cancellationToken);
                    break;
                default:
                    result[name] = value.DeepClone();
                    break;
            }
        }

        return result;
    }
}

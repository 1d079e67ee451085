using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Cli;

/// <summary>
/// kubectl's client-side apply as a JSON merge patch: fields the last apply set and this one does
/// not are removed; fields this one sets that the live object lacks or holds differently are set.
/// Fields set by others (a <c>patch</c>, the server's defaults and allocations) are left alone.
/// </summary>
internal static class ApplyPatch
{
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>The merge patch from <paramref name="live"/> to <paramref name="modified"/>; null when nothing changes.</summary>
    public static JsonObject? Compute(JsonObject? original, JsonObject modified, JsonObject live)
    {
        var patch = Diff(original, modified, live);
        return patch.Count == 0 ? null : patch;
    }

    private static JsonObject Diff(JsonObject? original, JsonObject modified, JsonObject? live)
    {
        var patch = new JsonObject();
        foreach (var (key, _) in original ?? [])
        {
            if (!modified.ContainsKey(key) && live?.ContainsKey(key) == true)
            {
                patch[key] = null;
            }
        }

        foreach (var (key, value) in modified)
        {
            var liveValue = live?[key];
            if (value is JsonObject modifiedChild && liveValue is JsonObject liveChild)
            {
                var child = Diff(original?[key] as JsonObject, modifiedChild, liveChild);
                if (child.Count > 0)
                {
                    patch[key] = child;
                }
            }
            else if (!Contains(liveValue, value))
            {
                patch[key] = value?.DeepClone();
            }
        }

        return patch;
    }

    /// <summary>True when <paramref name="live"/> holds every field <paramref name="wanted"/> sets (server defaults may add more).</summary>
    private static bool Contains(JsonNode? live, JsonNode? wanted) => (live, wanted) switch
    {
        (_, null) => live is null,
        (JsonObject l, JsonObject w) => w.All(p => Contains(l[p.Key], p.Value)),
        (JsonArray l, JsonArray w) => l.Count == w.Count && w.Select((item, i) => Contains(l[i], item)).All(b => b),
        (JsonValue l, JsonValue w) => JsonNode.DeepEquals(l, w),
        _ => false,
    };
}

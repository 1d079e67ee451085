using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Kubernetes strategic merge patch for the fields of Service, Endpoints and Pod: lists with a
/// merge key (Service ports by <c>port</c>, containers by <c>name</c>, …) merge item by item;
/// other lists replace. Understands the <c>$patch: delete|replace</c> directive and ignores the
/// ordering directives (<c>$setElementOrder/…</c>, <c>$retainKeys</c>) kubectl sends.
/// </summary>
internal static class StrategicMergePatch
{
    /// <summary>Merge keys by path (array index segments dropped), as in the Kubernetes API types.</summary>
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["spec.ports"] = "port",
        ["spec.containers"] = "name",
        ["spec.containers.ports"] = "containerPort",
        ["status.conditions"] = "type",
        ["status.podIPs"] = "ip",
    };

    public static JsonNode? Apply(JsonNode? live, JsonNode patch) => Merge(live, patch, path: string.Empty);

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch, string path)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        if (patchObject["$patch"]?.ToString() == "replace")
        {
            var replacement = (JsonObject)patchObject.DeepClone();
            replacement.Remove("$patch");
            return replacement;
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (key.StartsWith('$'))
            {
                continue;
            }

            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (value is null)
            {
                result.Remove(key);
            }
            else if (value is JsonArray items && MergeKeys.TryGetValue(childPath, out var mergeKey))
            {
                result[key] = MergeList(result[key] as JsonArray, items, mergeKey, childPath);
            }
            else
            {
                result[key] = Merge(result[key], value, childPath);
            }
        }

        return result;
    }

    private static JsonArray MergeList(JsonArray? live, JsonArray patch, string mergeKey, string path)
    {
        if (patch.Any(item => item is JsonObject o && o["$patch"]?.ToString() == "replace"))
        {
            return new JsonArray([.. patch.Where(i => i is not JsonObject o || o["$patch"] is null).Select(i => i?.DeepClone())]);
        }

        var result = new JsonArray([.. (live ?? []).Select(i => i?.DeepClone())]);
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem || patchItem[mergeKey] is not { } keyValue)
            {
                throw new FormatException($"{path}: every item of a strategic merge patch list needs its merge key \"{mergeKey}\"");
            }

            var index = IndexOf(result, mergeKey, keyValue);
            if (patchItem["$patch"]?.ToString() == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }
            }
            else if (index >= 0)
            {
                result[index] = Merge(result[index], patchItem, path);
            }
            else
            {
                result.Add(Merge(null, patchItem, path));
            }
        }

        return result;
    }

    private static int IndexOf(JsonArray list, string mergeKey, JsonNode keyValue)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject o && JsonNode.DeepEquals(o[mergeKey], keyValue))
            {
                return i;
            }
        }

        return -1;
    }
}

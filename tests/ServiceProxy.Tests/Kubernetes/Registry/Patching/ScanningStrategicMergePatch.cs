using System.Text.Json.Nodes;

namespace ServiceProxy.Tests.Kubernetes.Registry.Patching;

/// <summary>
/// The oracle for <see cref="ServiceProxy.Kubernetes.Registry.Patching.StrategicMergePatch"/>: the same merge
/// done the plain way, scanning the list for every patch item (quadratic, but obviously right).
/// The indexed implementation must give exactly its results.
/// </summary>
internal static class ScanningStrategicMergePatch
{
    private const string Directive = "$patch";
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
    private const string RetainKeys = "$retainKeys";

    /// <summary>Merge keys by kind, then by the path of the list (array indices left out).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> MergeKeys = new(StringComparer.Ordinal)
    {
        ["Service"] = new(StringComparer.Ordinal)
        {
            ["spec.ports"] = "port",
        },
        ["Pod"] = new(StringComparer.Ordinal)
        {
            ["spec.containers"] = "name",
            ["spec.initContainers"] = "name",
            ["spec.containers.ports"] = "containerPort",
            ["spec.initContainers.ports"] = "containerPort",
            ["spec.containers.env"] = "name",
            ["spec.volumes"] = "name",
            ["status.conditions"] = "type",
            ["status.podIPs"] = "ip",
        },
    };

    /// <summary>Returns <paramref name="original"/> (an object of <paramref name="kind"/>) patched; neither input is modified.</summary>
    public static JsonNode? Apply(JsonNode? original, JsonNode? patch, string kind)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var keys = MergeKeys.GetValueOrDefault(kind) ?? [];
        return MergeObject(original as JsonObject, patchObject, string.Empty, keys);
    }

    private static JsonObject? MergeObject(JsonObject? original, JsonObject patch, string path, Dictionary<string, string> keys)
    {
        switch (Text(patch[Directive]))
        {
            case "delete":
                return null;
            case "replace":
                return (JsonObject?)Strip(patch);
        }

        var result = original is null ? [] : (JsonObject)original.DeepClone();
        foreach (var (name, value) in patch)
        {
            if (name.StartsWith('$'))
            {
                if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal) && result[name[DeleteFromPrimitiveList.Length..]] is JsonArray list && value is JsonArray remove)
                {
                    RemoveAll(list, item => remove.Any(r => JsonNode.DeepEquals(r, item)));
                }

                continue;
            }

            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            switch (value)
            {
                case null:
                    result.Remove(name);
                    break;
                case JsonObject child:
                    var merged = MergeObject(result[name] as JsonObject, child, childPath, keys);
                    if (merged is null)
                    {
                        result.Remove(name);
                    }
                    else
                    {
                        result[name] = merged;
                    }

                    break;
                case JsonArray items when keys.TryGetValue(childPath, out var mergeKey):
                    result[name] = MergeList(result[name] as JsonArray, items, mergeKey, childPath, keys);
                    break;
                default:
                    result[name] = Strip(value);
                    break;
            }
        }

        foreach (var (name, value) in patch)
        {
            if (name.StartsWith(SetElementOrder, StringComparison.Ordinal)
                && value is JsonArray order
                && keys.TryGetValue(path.Length == 0 ? name[SetElementOrder.Length..] : $"{path}.{name[SetElementOrder.Length..]}", out var mergeKey)
                && result[name[SetElementOrder.Length..]] is JsonArray list)
            {
                Reorder(list, order, mergeKey);
            }
        }

        if (patch[RetainKeys] is JsonArray retain)
        {
            var kept = retain.Select(Text).ToHashSet(StringComparer.Ordinal);
            foreach (var name in result.Select(p => p.Key).Where(n => !kept.Contains(n)).ToList())
            {
                result.Remove(name);
            }
        }

        return result;
    }

    private static JsonArray MergeList(JsonArray? original, JsonArray patch, string mergeKey, string path, Dictionary<string, string> keys)
    {
        if (patch.Any(item => item is JsonObject o && Text(o[Directive]) == "replace"))
        {
            return [.. patch.Where(item => !(item is JsonObject o && o.ContainsKey(Directive))).Select(Strip)];
        }

        var result = original is null ? [] : (JsonArray)original.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                if (!result.Any(existing => JsonNode.DeepEquals(existing, item)))
                {
                    result.Add(item?.DeepClone());
                }

                continue;
            }

            if (Text(patchItem[Directive]) == "delete")
            {
                RemoveAll(result, existing => existing is JsonObject o && Matches(o, patchItem, mergeKey));
                continue;
            }

            var index = IndexOfMatch(result, patchItem, mergeKey);
            if (index < 0)
            {
                result.Add(Strip(patchItem));
            }
            else
            {
                result[index] = MergeObject((JsonObject)result[index]!, patchItem, path, keys);
            }
        }

        return result;
    }

    private static int IndexOfMatch(JsonArray list, JsonObject item, string mergeKey)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonObject candidate && Matches(candidate, item, mergeKey))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Equal merge key. For ports, a protocol in the patch item must match too, so 53/TCP and
    /// 53/UDP stay two ports (the merge-by-port-only behaviour is a known Kubernetes pitfall).
    /// </summary>
    private static bool Matches(JsonObject candidate, JsonObject item, string mergeKey)
    {
        if (!JsonNode.DeepEquals(candidate[mergeKey], item[mergeKey]))
        {
            return false;
        }

        return mergeKey != "port" || Text(item["protocol"]) is not { } protocol
            || string.Equals(protocol, Text(candidate["protocol"]) ?? "TCP", StringComparison.Ordinal);
    }

    /// <summary>Orders the listed items as <paramref name="order"/> says; items it does not name keep their place after them.</summary>
    private static void Reorder(JsonArray list, JsonArray order, string mergeKey)
    {
        var items = list.ToList();
        var ordered = new List<JsonNode?>();
        foreach (var key in order.OfType<JsonObject>())
        {
            var index = items.FindIndex(i => i is JsonObject o && Matches(o, key, mergeKey));
            if (index >= 0)
            {
                ordered.Add(items[index]);
                items.RemoveAt(index);
            }
        }

        ordered.AddRange(items);
        list.Clear();
        foreach (var item in ordered)
        {
            list.Add(item?.DeepClone());
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static void RemoveAll(JsonArray list, Func<JsonNode?, bool> predicate)
    {
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (predicate(list[i]))
            {
                list.RemoveAt(i);
            }
        }
    }

    /// <summary>A copy with every <c>$</c> directive removed (they must not reach the stored object).</summary>
    private static JsonNode? Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    if (!name.StartsWith('$'))
                    {
                        copy[name] = Strip(value);
                    }
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(Strip)]);
            default:
                return node?.DeepClone();
        }
    }
}

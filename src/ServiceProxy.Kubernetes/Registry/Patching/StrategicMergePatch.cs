using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Registry.Patching;

/// <summary>
/// Kubernetes strategic merge patch (what <c>kubectl apply</c> and <c>kubectl patch</c> send by
/// default) for the kinds ServiceProxy stores. Maps merge as in a JSON merge patch; lists with a
/// merge key (Service <c>spec.ports</c> by <c>port</c>, Pod containers by <c>name</c>, …) merge
/// item by item; other lists are replaced. Directives: <c>$patch: replace|delete</c> on a map or a
/// list item, <c>$setElementOrder/&lt;list&gt;</c>, <c>$retainKeys</c> and
/// <c>$deleteFromPrimitiveList/&lt;list&gt;</c>.
/// </summary>
public static partial class StrategicMergePatch
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
        ["Node"] = new(StringComparer.Ordinal)
        {
            ["status.conditions"] = "type",
            ["status.addresses"] = "type",
        },
    };

    /// <summary>Returns <paramref name="original"/> (an object of <paramref name="kind"/>) patched; neither input is modified.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static JsonNode? Apply(JsonNode? original, JsonNode? patch, string kind, CancellationToken cancellationToken = default)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var keys = MergeKeys.GetValueOrDefault(kind) ?? [];
        return MergeObject(original as JsonObject, patchObject, string.Empty, new Context(keys, cancellationToken));
    }

    private static JsonObject? MergeObject(JsonObject? original, JsonObject patch, string path, Context context)
    {
        var keys = context.Keys;
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
            context.CancellationToken.ThrowIfCancellationRequested();
            if (name.StartsWith('$'))
            {
                if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal) && result[name[DeleteFromPrimitiveList.Length..]] is JsonArray list && value is JsonArray remove)
                {
                    var removed = new NodeSet(remove);
                    Filter(list, item => !removed.Contains(item));
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
                    var merged = MergeObject(result[name] as JsonObject, child, childPath, context);
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
                    result[name] = MergeList(result[name] as JsonArray, items, mergeKey, childPath, context);
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
                Reorder(list, order, mergeKey, context.CancellationToken);
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

    /// <summary>
    /// Merges keyed list items. Items are found through an index by merge key, so a list of n items
    /// patched by m costs O(n + m), not O(n·m); the result is what a scan of the list in order gives.
    /// </summary>
    private static JsonArray MergeList(JsonArray? original, JsonArray patch, string mergeKey, string path, Context context)
    {
        if (patch.Any(item => item is JsonObject o && Text(o[Directive]) == "replace"))
        {
            return [.. patch.Where(item => !(item is JsonObject o && o.ContainsKey(Directive))).Select(Strip)];
        }

        var result = new KeyedList(mergeKey, original);
        foreach (var item in patch)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (item is not JsonObject patchItem)
            {
                result.AddIfAbsent(item);
                continue;
            }

            if (Text(patchItem[Directive]) == "delete")
            {
                result.RemoveMatches(patchItem);
                continue;
            }

            var index = result.IndexOfMatch(patchItem);
            if (index < 0)
            {
                result.Add(Strip(patchItem));
            }
            else
            {
                result.Replace(index, MergeObject((JsonObject)result[index]!, patchItem, path, context)!);
            }
        }

        return result.ToJsonArray();
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
    private static void Reorder(JsonArray list, JsonArray order, string mergeKey, CancellationToken cancellationToken)
    {
        var items = new KeyedList(mergeKey, list);
        var ordered = new List<JsonNode?>();
        foreach (var key in order.OfType<JsonObject>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var index = items.IndexOfMatch(key);
            if (index >= 0)
            {
                ordered.Add(items[index]);
                items.RemoveAt(index);
            }
        }

        ordered.AddRange(items.Items);
        list.Clear();
        foreach (var item in ordered)
        {
            list.Add(item?.DeepClone());
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Keeps the items of <paramref name="list"/> that <paramref name="keep"/> accepts, in one pass.</summary>
    private static void Filter(JsonArray list, Func<JsonNode?, bool> keep)
    {
        var kept = list.Where(keep).Select(item => item?.DeepClone()).ToList();
        list.Clear();
        foreach (var item in kept)
        {
            list.Add(item);
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

    private sealed record Context(Dictionary<string, string> Keys, CancellationToken CancellationToken);
}

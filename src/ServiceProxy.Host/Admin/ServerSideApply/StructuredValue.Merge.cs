using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin.ServerSideApply;

internal static partial class StructuredValue
{
    /// <summary><paramref name="config"/> merged into a copy of <paramref name="live"/>: the config's values win, items merge by key.</summary>
    /// <exception cref="FormatException">A list-map item of the config lacks a key, or two share one.</exception>
    public static JsonNode? Merge(JsonNode? live, JsonNode? config, TypeSchema schema)
    {
        if (config is null)
        {
            return live?.DeepClone();
        }

        if (live is null || IsLeaf(schema))
        {
            return config.DeepClone();
        }

        switch (schema.Kind)
        {
            case SchemaKind.Struct or SchemaKind.Map when live is JsonObject liveObject && config is JsonObject configObject:
                var result = (JsonObject)liveObject.DeepClone();
                foreach (var (name, value) in configObject)
                {
                    if (value is null)
                    {
                        result.Remove(name);
                        continue;
                    }

                    result[name] = Merge(liveObject[name], value, ChildSchema(schema, name));
                }

                return result;
            case SchemaKind.List when live is JsonArray liveList && config is JsonArray configList:
                return MergeList(liveList, configList, schema);
            default:
                return config.DeepClone();
        }
    }

    /// <summary>
    /// Items of the config in the config's order, merged with the live item of the same key; live
    /// items the config does not name stay after the live item they followed (or first).
    /// </summary>
    private static JsonArray MergeList(JsonArray live, JsonArray config, TypeSchema schema)
    {
        var configElements = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Count; i++)
        {
            var element = ItemElement(schema, config[i], i);
            if (!seen.Add(element))
            {
                throw new FormatException($"duplicate entries for key {PathElement.Display([element])}");
            }

            configElements.Add(element);
        }

        var liveItems = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var followers = new Dictionary<string, List<JsonNode?>>(StringComparer.Ordinal);
        var leading = new List<JsonNode?>();
        string? previousShared = null;
        for (var i = 0; i < live.Count; i++)
        {
            var element = ItemElement(schema, live[i], i);
            if (!liveItems.TryAdd(element, live[i]))
            {
                continue;
            }

            if (seen.Contains(element))
            {
                previousShared = element;
            }
            else if (previousShared is null)
            {
                leading.Add(live[i]);
            }
            else
            {
                if (!followers.TryGetValue(previousShared, out var list))
                {
                    list = [];
                    followers[previousShared] = list;
                }

                list.Add(live[i]);
            }
        }

        var result = new JsonArray();
        foreach (var item in leading)
        {
            result.Add(item?.DeepClone());
        }

        for (var i = 0; i < config.Count; i++)
        {
            var element = configElements[i];
            result.Add(Merge(liveItems.GetValueOrDefault(element), config[i], schema.Element));
            foreach (var item in followers.GetValueOrDefault(element) ?? [])
            {
                result.Add(item?.DeepClone());
            }
        }

        return result;
    }
}

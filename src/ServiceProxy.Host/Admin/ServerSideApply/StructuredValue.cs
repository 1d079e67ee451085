using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// Structured merge on JSON values under a <see cref="TypeSchema"/>, with the semantics of
/// sigs.k8s.io/structured-merge-diff: the field set a value sets, the comparison of two values,
/// the merge of an applied configuration into a live object, and the removal of fields.
/// Atomic lists and maps are leaves; list-map items are named by their keys, set items by value.
/// </summary>
internal static partial class StructuredValue
{
    /// <summary>The fields <paramref name="value"/> sets: leaves, list items, map entries and empty objects.</summary>
    /// <exception cref="FormatException">A list-map item lacks a key, or two items share one.</exception>
    public static FieldSet ToFieldSet(JsonNode? value, TypeSchema schema)
    {
        var set = new FieldSet();
        Collect(value, schema, [], set, strict: true);
        return set;
    }

    /// <summary>What changed from <paramref name="lhs"/> to <paramref name="rhs"/>, as paths added, modified and removed.</summary>
    public static Comparison Compare(JsonNode? lhs, JsonNode? rhs, TypeSchema schema)
    {
        var comparison = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        CompareNode(lhs, rhs, schema, [], comparison);
        return comparison;
    }

    /// <summary>
    /// A copy of <paramref name="value"/> without the members of <paramref name="remove"/>; an object
    /// or list emptied by the removal goes too (below the top level), as it was set only to hold them.
    /// </summary>
    public static JsonNode? Remove(JsonNode? value, FieldSet remove, TypeSchema schema)
    {
        var copy = value?.DeepClone();
        RemoveIn(copy, remove, schema, topLevel: true);
        return copy;
    }

    /// <summary>A copy of <paramref name="value"/> without the struct fields its schema does not declare.</summary>
    public static JsonNode? WithoutUndeclared(JsonNode? value, TypeSchema schema)
    {
        var copy = value?.DeepClone();
        Strip(copy, schema);
        return copy;

        static void Strip(JsonNode? node, TypeSchema schema)
        {
            switch (node)
            {
                case JsonObject obj when schema.Kind == SchemaKind.Struct:
                    foreach (var name in obj.Select(p => p.Key).Where(n => schema.Field(n) is null).ToList())
                    {
                        obj.Remove(name);
                    }

                    foreach (var (name, child) in obj)
                    {
                        Strip(child, schema.Field(name)!);
                    }

                    break;
                case JsonObject obj when schema.Kind == SchemaKind.Map:
                    foreach (var (_, child) in obj)
                    {
                        Strip(child, schema.Element);
                    }

                    break;
                case JsonArray list when schema.Kind == SchemaKind.List:
                    foreach (var item in list)
                    {
                        Strip(item, schema.Element);
                    }

                    break;
            }
        }
    }

    /// <summary>The element naming a list item: its keys, its value, or its index in an atomic list.</summary>
    /// <exception cref="FormatException">A list-map item lacks a key field that has no default.</exception>
    public static string ItemElement(TypeSchema list, JsonNode? item, int index)
    {
        switch (list.ListType)
        {
            case ListType.Map:
                if (item is not JsonObject obj)
                {
                    throw new FormatException("associative list with keys has an element that is not a map");
                }

                var element = list.Element;
                var keys = new List<KeyValuePair<string, JsonNode?>>();
                foreach (var key in list.Keys)
                {
                    var value = obj[key] ?? element.Defaults.GetValueOrDefault(key)
                        ?? throw new FormatException($"associative list with keys has an element that omits key field \"{key}\" (and doesn't have default value)");
                    keys.Add(KeyValuePair.Create(key, (JsonNode?)value));
                }

                return PathElement.Key(keys);
            case ListType.Set:
                return item is JsonObject or JsonArray
                    ? throw new FormatException("associative list without keys has an element that is a map or list")
                    : PathElement.Value(item);
            default:
                return PathElement.Index(index);
        }
    }

    private static bool IsLeaf(TypeSchema schema) => schema.Kind is SchemaKind.Scalar or SchemaKind.Untyped || schema.Atomic;

    private static TypeSchema ChildSchema(TypeSchema schema, string name) =>
        schema.Kind == SchemaKind.Struct ? schema.Field(name) ?? TypeSchema.Deduced : schema.Element;

    private static void Collect(JsonNode? value, TypeSchema schema, List<string> path, FieldSet set, bool strict)
    {
        if (IsLeaf(schema) || value is null)
        {
            InsertUnlessRoot(set, path);
            return;
        }

        switch (schema.Kind)
        {
            case SchemaKind.List when value is JsonArray list:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < list.Count; i++)
                {
                    var element = ItemElement(schema, list[i], i);
                    if (!seen.Add(element) && strict)
                    {
                        throw new FormatException($"{PathElement.Display(path)}: duplicate entries for key {PathElement.Display([element])}");
                    }

                    path.Add(element);
                    Collect(list[i], schema.Element, path, set, strict);
                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case SchemaKind.Struct or SchemaKind.Map when value is JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    var declared = schema.Kind == SchemaKind.Struct && schema.Field(name) is not null;
                    path.Add(PathElement.Field(name));
                    Collect(child, ChildSchema(schema, name), path, set, strict);
                    if (child is null or JsonObject { Count: 0 } || !declared)
                    {
                        set.Insert(path);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                break;
            default:
                InsertUnlessRoot(set, path);
                break;
        }
    }

    private static void CompareNode(JsonNode? lhs, JsonNode? rhs, TypeSchema schema, List<string> path, Comparison comparison)
    {
        if (lhs is null && rhs is null)
        {
            return;
        }

        var bothEmpty = IsEmptyContainer(lhs) && IsEmptyContainer(rhs);
        if (IsLeaf(schema) || bothEmpty || !ShapeMatches(lhs, schema) || !ShapeMatches(rhs, schema))
        {
            CompareLeaf(lhs, rhs, path, comparison);
            return;
        }

        if (schema.Kind == SchemaKind.List)
        {
            var left = Index(lhs as JsonArray, schema);
            var right = Index(rhs as JsonArray, schema);
            foreach (var (element, rightItem) in right)
            {
                path.Add(element);
                CompareNode(left.GetValueOrDefault(element), rightItem, schema.Element, path, comparison);
                path.RemoveAt(path.Count - 1);
            }

            foreach (var (element, leftItem) in left)
            {
                if (!right.ContainsKey(element))
                {
                    path.Add(element);
                    CompareNode(leftItem, null, schema.Element, path, comparison);
                    path.RemoveAt(path.Count - 1);
                }
            }
        }
        else
        {
            var left = lhs as JsonObject;
            var right = rhs as JsonObject;
            foreach (var name in (left?.Select(p => p.Key) ?? []).Union(right?.Select(p => p.Key) ?? [], StringComparer.Ordinal))
            {
                path.Add(PathElement.Field(name));
                CompareNode(left?[name], right?[name], ChildSchema(schema, name), path, comparison);
                path.RemoveAt(path.Count - 1);
            }
        }

        // A container that appears or disappears is itself added or removed, besides what it holds.
        if (lhs is null)
        {
            InsertUnlessRoot(comparison.Added, path);
        }
        else if (rhs is null)
        {
            InsertUnlessRoot(comparison.Removed, path);
        }
    }

    private static void CompareLeaf(JsonNode? lhs, JsonNode? rhs, List<string> path, Comparison comparison)
    {
        if (lhs is null)
        {
            InsertUnlessRoot(comparison.Added, path);
        }
        else if (rhs is null)
        {
            InsertUnlessRoot(comparison.Removed, path);
        }
        else if (!JsonNode.DeepEquals(lhs, rhs))
        {
            InsertUnlessRoot(comparison.Modified, path);
        }
    }

    private static bool IsEmptyContainer(JsonNode? node) => node is null or JsonObject { Count: 0 } or JsonArray { Count: 0 };

    private static bool ShapeMatches(JsonNode? node, TypeSchema schema) => node switch
    {
        null => true,
        JsonArray => schema.Kind == SchemaKind.List,
        JsonObject => schema.Kind is SchemaKind.Struct or SchemaKind.Map,
        _ => false,
    };

    /// <summary>The items of a list by element, first of duplicates kept (a live object may hold them).</summary>
    private static Dictionary<string, JsonNode?> Index(JsonArray? list, TypeSchema schema)
    {
        var items = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            items.TryAdd(ItemElement(schema, list![i], i), list[i]);
        }

        return items;
    }

    private static void RemoveIn(JsonNode? node, FieldSet remove, TypeSchema schema, bool topLevel)
    {
        if (IsLeaf(schema))
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj when schema.Kind is SchemaKind.Struct or SchemaKind.Map:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    var element = PathElement.Field(name);
                    if (remove.Child(element) is not { } below)
                    {
                        continue;
                    }

                    if (below.IsMember)
                    {
                        obj.Remove(name);
                        continue;
                    }

                    var child = obj[name];
                    var hadContent = !IsEmptyContainer(child);
                    RemoveIn(child, below, ChildSchema(schema, name), topLevel: false);
                    if (!topLevel && hadContent && IsEmptyContainer(child))
                    {
                        obj.Remove(name);
                    }
                    else if (topLevel && hadContent && IsEmptyContainer(child) && child is JsonArray)
                    {
                        obj.Remove(name);
                    }
                }

                break;
            case JsonArray list when schema.Kind == SchemaKind.List:
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    if (remove.Child(ItemElement(schema, list[i], i)) is not { } below)
                    {
                        continue;
                    }

                    if (below.IsMember)
                    {
                        list.RemoveAt(i);
                        continue;
                    }

                    RemoveIn(list[i], below, schema.Element, topLevel: false);
                }

                break;
        }
    }

    private static void InsertUnlessRoot(FieldSet set, List<string> path)
    {
        if (path.Count > 0)
        {
            set.Insert(path);
        }
    }
}

/// <summary>The paths that differ between two values.</summary>
internal sealed record Comparison(FieldSet Added, FieldSet Modified, FieldSet Removed)
{
    public bool IsSame => Added.IsEmpty && Modified.IsEmpty && Removed.IsEmpty;
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// A set of field paths, as structured-merge-diff keeps them: a tree whose edges are path
/// elements (<see cref="PathElement"/>) and whose nodes may be members of the set themselves
/// (an item or a leaf) besides holding members below. Serialized as Kubernetes' FieldsV1
/// (<c>{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{}}}}}</c>).
/// </summary>
internal sealed class FieldSet
{
    /// <summary>FieldsV1 nests no deeper than this; deeper input is refused rather than walked.</summary>
    public const int MaxDepth = 64;

    /// <summary>JSON as Go's encoder writes it: no escaping of quotes beyond the JSON string's own.</summary>
    public static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, FieldSet> _children = new(StringComparer.Ordinal);

    /// <summary>Whether the path that leads here is in the set.</summary>
    public bool IsMember { get; private set; }

    public bool IsEmpty => !IsMember && _children.Count == 0;

    public IReadOnlyDictionary<string, FieldSet> Children => _children;

    public FieldSet? Child(string element) => _children.GetValueOrDefault(element);

    public void Insert(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            node = node.ChildOrAdd(element);
        }

        node.IsMember = true;
    }

    public bool Contains(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            if (!node._children.TryGetValue(element, out node))
            {
                return false;
            }
        }

        return node.IsMember;
    }

    /// <summary>Whether the set has a member at <paramref name="path"/> or below it.</summary>
    public bool HasAtOrBelow(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
        {
            if (!node._children.TryGetValue(element, out node))
            {
                return false;
            }
        }

        return !node.IsEmpty;
    }

    public FieldSet Clone()
    {
        var copy = new FieldSet { IsMember = IsMember };
        foreach (var (element, child) in _children)
        {
            copy._children[element] = child.Clone();
        }

        return copy;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.AddAll(other);
        return result;
    }

    /// <summary>The members of this set that <paramref name="other"/> does not have (each path on its own).</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember && !other.IsMember };
        foreach (var (element, child) in _children)
        {
            var remaining = other._children.TryGetValue(element, out var otherChild) ? child.Difference(otherChild) : child.Clone();
            if (!remaining.IsEmpty)
            {
                result._children[element] = remaining;
            }
        }

        return result;
    }

    /// <summary>The members of this set that neither are in <paramref name="other"/> nor lie below one of its members.</summary>
    public FieldSet RecursiveDifference(FieldSet other)
    {
        if (other.IsMember)
        {
            return new FieldSet();
        }

        var result = new FieldSet { IsMember = IsMember };
        foreach (var (element, child) in _children)
        {
            var remaining = other._children.TryGetValue(element, out var otherChild) ? child.RecursiveDifference(otherChild) : child.Clone();
            if (!remaining.IsEmpty)
            {
                result._children[element] = remaining;
            }
        }

        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet { IsMember = IsMember && other.IsMember };
        foreach (var (element, child) in _children)
        {
            if (other._children.TryGetValue(element, out var otherChild))
            {
                var both = child.Intersection(otherChild);
                if (!both.IsEmpty)
                {
                    result._children[element] = both;
                }
            }
        }

        return result;
    }

    /// <summary>Every member path, depth first, children in FieldsV1 order.</summary>
    public IEnumerable<IReadOnlyList<string>> Members()
    {
        var path = new List<string>();
        return Walk(this, path);

        static IEnumerable<IReadOnlyList<string>> Walk(FieldSet node, List<string> path)
        {
            if (node.IsMember)
            {
                yield return path.ToArray();
            }

            foreach (var element in node.OrderedElements())
            {
                path.Add(element);
                foreach (var member in Walk(node._children[element], path))
                {
                    yield return member;
                }

                path.RemoveAt(path.Count - 1);
            }
        }
    }

    /// <summary>The FieldsV1 form: one key per element, <c>"."</c> where a node with children is a member itself.</summary>
    public JsonObject ToFieldsV1()
    {
        var obj = new JsonObject();
        if (IsMember && _children.Count > 0)
        {
            obj["."] = new JsonObject();
        }

        foreach (var element in OrderedElements())
        {
            obj[element] = _children[element].ToFieldsV1();
        }

        return obj;
    }

    /// <summary>Reads FieldsV1; <see cref="FormatException"/> when it is not that form.</summary>
    public static FieldSet FromFieldsV1(JsonElement fields)
    {
        var set = new FieldSet();
        Read(set, fields, 0);
        set.IsMember = false; // The root is never a member (kube-apiserver ignores a "." there).
        return set;

        static void Read(FieldSet node, JsonElement element, int depth)
        {
            if (element.ValueKind != JsonValueKind.Object || depth > MaxDepth)
            {
                throw new FormatException("FieldsV1 must be nested JSON objects");
            }

            var empty = true;
            foreach (var property in element.EnumerateObject())
            {
                empty = false;
                if (property.Name == ".")
                {
                    node.IsMember = true;
                    continue;
                }

                if (!PathElement.IsValid(property.Name))
                {
                    throw new FormatException($"FieldsV1 has an invalid path element {property.Name}");
                }

                Read(node.ChildOrAdd(property.Name), property.Value, depth + 1);
            }

            if (empty)
            {
                node.IsMember = true;
            }
        }
    }

    /// <summary>The FieldsV1 JSON, quotes in keys unescaped as Go writes them (<c>k:{\"port\":80}</c>).</summary>
    public override string ToString() => ToFieldsV1().ToJsonString(Relaxed);

    private FieldSet ChildOrAdd(string element)
    {
        if (!_children.TryGetValue(element, out var child))
        {
            child = new FieldSet();
            _children[element] = child;
        }

        return child;
    }

    private void AddAll(FieldSet other)
    {
        IsMember |= other.IsMember;
        foreach (var (element, child) in other._children)
        {
            ChildOrAdd(element).AddAll(child);
        }
    }

    private IEnumerable<string> OrderedElements() =>
        _children.Keys.OrderBy(PathElement.Rank).ThenBy(e => e, StringComparer.Ordinal);
}

using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>What structured merge needs to know of a type: how its values merge and are named in field paths.</summary>
internal enum SchemaKind
{
    /// <summary>A string, number or boolean: a leaf.</summary>
    Scalar,

    /// <summary>An object with declared fields.</summary>
    Struct,

    /// <summary>An object of arbitrary keys with one value type (labels, annotations, selector).</summary>
    Map,

    /// <summary>An array.</summary>
    List,

    /// <summary>A value the schema does not describe: a leaf, replaced whole.</summary>
    Untyped,
}

/// <summary>How the items of a list are identified (<c>x-kubernetes-list-type</c>).</summary>
internal enum ListType
{
    /// <summary>The list is one value, replaced whole (the default).</summary>
    Atomic,

    /// <summary>Items are scalars, identified by value.</summary>
    Set,

    /// <summary>Items are objects identified by their <c>x-kubernetes-list-map-keys</c>.</summary>
    Map,
}

/// <summary>One type of the schema; fields and element types are resolved when first asked for.</summary>
internal sealed class TypeSchema
{
    private readonly Func<string, TypeSchema>? _fieldResolver;
    private readonly Dictionary<string, TypeSchema> _fields = new(StringComparer.Ordinal);
    private readonly Func<TypeSchema>? _elementResolver;
    private TypeSchema? _element;

    public TypeSchema(SchemaKind kind, bool atomic = false, ListType listType = ListType.Atomic, IReadOnlyList<string>? keys = null,
        IReadOnlyCollection<string>? fieldNames = null, Func<string, TypeSchema>? fieldResolver = null, Func<TypeSchema>? elementResolver = null,
        IReadOnlyDictionary<string, JsonNode>? defaults = null)
    {
        Kind = kind;
        Atomic = atomic;
        ListType = listType;
        Keys = keys ?? [];
        FieldNames = fieldNames ?? [];
        _fieldResolver = fieldResolver;
        _elementResolver = elementResolver;
        Defaults = defaults ?? new Dictionary<string, JsonNode>();
    }

    public static TypeSchema Leaf { get; } = new(SchemaKind.Scalar);

    public static TypeSchema Deduced { get; } = new(SchemaKind.Untyped, atomic: true);

    public SchemaKind Kind { get; }

    /// <summary>A struct or map replaced whole (<c>x-kubernetes-map-type: atomic</c>), or an atomic list.</summary>
    public bool Atomic { get; }

    public ListType ListType { get; }

    /// <summary>The key fields of a list-map's items, as declared.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The declared fields of a struct.</summary>
    public IReadOnlyCollection<string> FieldNames { get; }

    /// <summary>The schema defaults of a struct's fields (a list-map key missing from an item takes it).</summary>
    public IReadOnlyDictionary<string, JsonNode> Defaults { get; }

    /// <summary>The value type of a map or the item type of a list.</summary>
    public TypeSchema Element => _element ??= _elementResolver?.Invoke() ?? Deduced;

    /// <summary>A struct's field, or null when the struct does not declare it.</summary>
    public TypeSchema? Field(string name)
    {
        if (Kind != SchemaKind.Struct || !FieldNames.Contains(name))
        {
            return null;
        }

        lock (_fields)
        {
            if (!_fields.TryGetValue(name, out var field))
            {
                field = _fieldResolver?.Invoke(name) ?? Deduced;
                _fields[name] = field;
            }

            return field;
        }
    }

    public static TypeSchema Struct(IReadOnlyDictionary<string, TypeSchema> fields, bool atomic = false, IReadOnlyDictionary<string, JsonNode>? defaults = null) =>
        new(SchemaKind.Struct, atomic, fieldNames: [.. fields.Keys], fieldResolver: n => fields[n], defaults: defaults);

    public static TypeSchema MapOf(TypeSchema element, bool atomic = false) =>
        new(SchemaKind.Map, atomic, elementResolver: () => element);

    public static TypeSchema ListOf(TypeSchema element, ListType listType, params string[] keys) =>
        new(SchemaKind.List, listType == ListType.Atomic, listType, keys, elementResolver: () => element);
}

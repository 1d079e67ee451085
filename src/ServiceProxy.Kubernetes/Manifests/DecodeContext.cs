using System.Globalization;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// Strict decoding of one object's node tree: every field path it visits goes into the source
/// map, and every unknown field or wrongly typed value becomes a located <see cref="FieldError"/>.
/// Types follow sigs.k8s.io/yaml (YAML 1.1 resolution, as kubectl): a plain <c>80</c> is a number
/// and a plain <c>yes</c> a boolean, so neither is accepted where Kubernetes wants a string.
/// </summary>
internal sealed class DecodeContext
{
    private readonly Dictionary<string, SourceLocation> _locations = new(StringComparer.Ordinal);

    public List<(FieldError Error, SourceLocation Location)> Errors { get; } = [];

    public IReadOnlyDictionary<string, SourceLocation> Locations => _locations;

    public void Mark(string path, YamlNode node) => _locations.TryAdd(path, new SourceLocation(node.Line, node.Column));

    public void Error(YamlNode at, FieldError error) => Errors.Add((error, new SourceLocation(at.Line, at.Column)));

    /// <summary>The fields of an object node (absent for null), each marked in the source map.</summary>
    public IEnumerable<(string Key, YamlNode Value, string Path)> Fields(YamlNode? node, string path)
    {
        if (node is null || IsNull(node))
        {
            yield break;
        }

        if (node is not YamlMapping mapping)
        {
            TypeError(node, path, "an object");
            yield break;
        }

        foreach (var (key, value) in mapping.Entries)
        {
            var child = path.Length == 0 ? key.Value : $"{path}.{key.Value}";
            Mark(child, key);
            yield return (key.Value, value, child);
        }
    }

    /// <summary>Records <c>field not declared in schema</c> and keeps <paramref name="current"/> as it was.</summary>
    public T Unknown<T>(T current, string path, YamlNode value)
    {
        Error(value, new FieldError(path, FieldErrorType.UnknownField));
        return current;
    }

    /// <summary>A field Kubernetes declares that ServiceProxy has no use for: accepted, content not read.</summary>
    public static T Ignored<T>(T current) => current;

    public IReadOnlyList<T>? List<T>(YamlNode node, string path, Func<YamlNode, string, T> item)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequence sequence)
        {
            TypeError(node, path, "a list");
            return null;
        }

        var items = new List<T>(sequence.Items.Count);
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
            Mark(itemPath, sequence.Items[i]);
            items.Add(item(sequence.Items[i], itemPath));
        }

        return items;
    }

    public IReadOnlyList<string>? StringList(YamlNode node, string path) =>
        List(node, path, (item, itemPath) => String(item, itemPath) ?? string.Empty);

    public IReadOnlyDictionary<string, string>? StringMap(YamlNode node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value, _) in Fields(node, path))
        {
            map[key] = String(value, path) ?? string.Empty;
        }

        return map;
    }

    public string? String(YamlNode node, string path)
    {
        if (node is not YamlScalar scalar)
        {
            TypeError(node, path, "a string");
            return null;
        }

        var kind = YamlScalars.Resolve(scalar);
        if (kind == YamlScalarKind.Null)
        {
            return null;
        }

        if (kind != YamlScalarKind.String)
        {
            Error(node, new FieldError(path, FieldErrorType.Invalid, "must be a string (quote it in YAML)", BadValue(scalar, kind)));
            return null;
        }

        return scalar.Value;
    }

    public bool? Bool(YamlNode node, string path)
    {
        if (node is not YamlScalar scalar)
        {
            TypeError(node, path, "a boolean");
            return null;
        }

        var kind = YamlScalars.Resolve(scalar);
        if (kind == YamlScalarKind.Null)
        {
            return null;
        }

        if (kind != YamlScalarKind.Bool || !YamlScalars.TryParseBool(scalar.Value, out var value))
        {
            Error(node, new FieldError(path, FieldErrorType.Invalid, "must be a boolean", BadValue(scalar, kind)));
            return null;
        }

        return value;
    }

    public int? Int(YamlNode node, string path)
    {
        var value = Long(node, path);
        if (value is > int.MaxValue or < int.MinValue)
        {
            Error(node, new FieldError(path, FieldErrorType.Invalid, "must be a 32-bit integer", value.Value));
            return null;
        }

        return (int?)value;
    }

    public long? Long(YamlNode node, string path)
    {
        if (node is not YamlScalar scalar)
        {
            TypeError(node, path, "an integer");
            return null;
        }

        var kind = YamlScalars.Resolve(scalar);
        if (kind == YamlScalarKind.Null)
        {
            return null;
        }

        if (kind != YamlScalarKind.Int || !YamlScalars.TryParseInt(scalar.Value, out var value))
        {
            Error(node, new FieldError(path, FieldErrorType.Invalid, "must be an integer", BadValue(scalar, kind)));
            return null;
        }

        return value;
    }

    public IntOrString? IntOrString(YamlNode node, string path)
    {
        if (node is YamlScalar scalar)
        {
            switch (YamlScalars.Resolve(scalar))
            {
                case YamlScalarKind.Null:
                    return null;
                case YamlScalarKind.String:
                    return Model.IntOrString.FromString(scalar.Value);
                case YamlScalarKind.Int:
                    return Int(node, path) is int number ? Model.IntOrString.FromInt(number) : default(Model.IntOrString?);
            }
        }

        TypeError(node, path, "an integer or a string");
        return null;
    }

    public DateTimeOffset? Timestamp(YamlNode node, string path)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            Error(node, new FieldError(path, FieldErrorType.Invalid, "must be an RFC 3339 date-time (2019-08-31T02:32:18Z)", text));
            return null;
        }

        return time;
    }

    public static bool IsNull(YamlNode node) => node is YamlScalar scalar && YamlScalars.Resolve(scalar) == YamlScalarKind.Null;

    private void TypeError(YamlNode node, string path, string expected)
    {
        object? bad = node switch
        {
            YamlMapping => new RawValue("{...}"),
            YamlSequence => new RawValue("[...]"),
            YamlScalar scalar => BadValue(scalar, YamlScalars.Resolve(scalar)),
            _ => null,
        };
        Error(node, new FieldError(path, FieldErrorType.Invalid, $"must be {expected}", bad));
    }

    private static object BadValue(YamlScalar scalar, YamlScalarKind kind) =>
        kind is YamlScalarKind.String ? scalar.Value : new RawValue(scalar.Value);

    /// <summary>A value printed as written (a number, <c>true</c>, <c>{...}</c>), not quoted.</summary>
    private sealed record RawValue(string Text) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => Text;

        public override string ToString() => Text;
    }
}

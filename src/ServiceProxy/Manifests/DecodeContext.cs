using System.Globalization;
using System.Text.RegularExpressions;
using ServiceProxy.Model;
using ServiceProxy.Validation;
using YamlDotNet.Core;

namespace ServiceProxy.Manifests;

/// <summary>
/// Strict decoding of one object's node tree: every field path it visits goes into the source
/// map, and every unknown field or wrongly typed value becomes a located <see cref="FieldError"/>.
/// Types follow sigs.k8s.io/yaml (YAML 1.1 resolution, as kubectl): a plain <c>80</c> is a number
/// and a plain <c>yes</c> a boolean, so neither is accepted where Kubernetes wants a string.
/// </summary>
internal sealed partial class DecodeContext
{
    private const string StrTag = "tag:yaml.org,2002:str";
    private const string IntTag = "tag:yaml.org,2002:int";

    private readonly Dictionary<string, SourceLocation> _locations = new(StringComparer.Ordinal);

    public List<(FieldError Error, SourceLocation Location)> Errors { get; } = [];

    public IReadOnlyDictionary<string, SourceLocation> Locations => _locations;

    private enum ScalarKind
    {
        Null,
        Bool,
        Int,
        Float,
        String,
    }

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

        var kind = Resolve(scalar);
        if (kind == ScalarKind.Null)
        {
            return null;
        }

        if (kind != ScalarKind.String)
        {
            Error(node, new FieldError(path, FieldErrorType.Invalid, "must be a string (quote it in YAML)", BadValue(scalar, kind)));
            return null;
        }

        return scalar.Value;
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

        var kind = Resolve(scalar);
        if (kind == ScalarKind.Null)
        {
            return null;
        }

        if (kind != ScalarKind.Int || !TryParseInt(scalar.Value, out var value))
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
            switch (Resolve(scalar))
            {
                case ScalarKind.Null:
                    return null;
                case ScalarKind.String:
                    return Model.IntOrString.FromString(scalar.Value);
                case ScalarKind.Int:
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

    public static bool IsNull(YamlNode node) => node is YamlScalar scalar && Resolve(scalar) == ScalarKind.Null;

    private void TypeError(YamlNode node, string path, string expected)
    {
        object? bad = node switch
        {
            YamlMapping => new RawValue("{...}"),
            YamlSequence => new RawValue("[...]"),
            YamlScalar scalar => BadValue(scalar, Resolve(scalar)),
            _ => null,
        };
        Error(node, new FieldError(path, FieldErrorType.Invalid, $"must be {expected}", bad));
    }

    private static object BadValue(YamlScalar scalar, ScalarKind kind) =>
        kind is ScalarKind.String ? scalar.Value : new RawValue(scalar.Value);

    private static ScalarKind Resolve(YamlScalar scalar)
    {
        if (scalar.Tag is not null)
        {
            return scalar.Tag switch
            {
                StrTag => ScalarKind.String,
                IntTag => ScalarKind.Int,
                "tag:yaml.org,2002:null" => ScalarKind.Null,
                "tag:yaml.org,2002:bool" => ScalarKind.Bool,
                "tag:yaml.org,2002:float" => ScalarKind.Float,
                _ => ScalarKind.String,
            };
        }

        if (scalar.Style != ScalarStyle.Plain)
        {
            return ScalarKind.String;
        }

        return scalar.Value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => ScalarKind.Null,
            "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
                or "y" or "Y" or "yes" or "Yes" or "YES" or "n" or "N" or "no" or "No" or "NO"
                or "on" or "On" or "ON" or "off" or "Off" or "OFF" => ScalarKind.Bool,
            _ when IntPattern().IsMatch(scalar.Value) => ScalarKind.Int,
            _ when FloatPattern().IsMatch(scalar.Value) => ScalarKind.Float,
            _ => ScalarKind.String,
        };
    }

    private static bool TryParseInt(string text, out long value)
    {
        var negative = text.StartsWith('-');
        var digits = text.TrimStart('+', '-');
        bool ok;
        if (digits.StartsWith("0x", StringComparison.Ordinal))
        {
            ok = long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        else if (digits.StartsWith("0o", StringComparison.Ordinal))
        {
            ok = TryParseOctal(digits[2..], out value);
        }
        else
        {
            ok = long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        if (negative)
        {
            value = -value;
        }

        return ok;
    }

    private static bool TryParseOctal(string digits, out long value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (value > long.MaxValue / 8)
            {
                return false;
            }

            value = (value * 8) + (c - '0');
        }

        return digits.Length > 0;
    }

    [GeneratedRegex(@"^([-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)\z")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))\z")]
    private static partial Regex FloatPattern();

    /// <summary>A value printed as written (a number, <c>true</c>, <c>{...}</c>), not quoted.</summary>
    private sealed record RawValue(string Text) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => Text;

        public override string ToString() => Text;
    }
}

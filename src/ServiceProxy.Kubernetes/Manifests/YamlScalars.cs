using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>What a YAML scalar means once resolved.</summary>
internal enum YamlScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>
/// Resolves plain scalars as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) does for kubectl and
/// kube-apiserver: <c>80</c> is a number, <c>yes</c>/<c>on</c> booleans, <c>~</c> null. The manifest
/// decoder and the YAML to JSON converter both use it, so a text means the same everywhere.
/// </summary>
internal static partial class YamlScalars
{
    public const string StrTag = "tag:yaml.org,2002:str";
    public const string IntTag = "tag:yaml.org,2002:int";

    public static YamlScalarKind Resolve(YamlScalar scalar) => Resolve(scalar.Value, scalar.Style, scalar.Tag);

    public static YamlScalarKind Resolve(string value, ScalarStyle style, string? tag)
    {
        if (tag is not null)
        {
            return tag switch
            {
                StrTag => YamlScalarKind.String,
                IntTag => YamlScalarKind.Int,
                "tag:yaml.org,2002:null" => YamlScalarKind.Null,
                "tag:yaml.org,2002:bool" => YamlScalarKind.Bool,
                "tag:yaml.org,2002:float" => YamlScalarKind.Float,
                _ => YamlScalarKind.String,
            };
        }

        if (style != ScalarStyle.Plain)
        {
            return YamlScalarKind.String;
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => YamlScalarKind.Null,
            _ when TryParseBool(value, out _) => YamlScalarKind.Bool,
            _ when IntPattern().IsMatch(value) => YamlScalarKind.Int,
            _ when FloatPattern().IsMatch(value) => YamlScalarKind.Float,
            _ => YamlScalarKind.String,
        };
    }

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE" or "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                value = true;
                return true;
            case "false" or "False" or "FALSE" or "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>Decimal, <c>0x</c> hexadecimal or <c>0o</c> octal, within 64 bits.</summary>
    public static bool TryParseInt(string text, out long value)
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
            // With its sign, so that the most negative 64-bit integer parses.
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }

        if (negative)
        {
            value = -value;
        }

        return ok;
    }

    /// <summary>A YAML float (<c>1.5</c>, <c>1e3</c>, <c>.inf</c>, <c>.nan</c>) as a double.</summary>
    public static bool TryParseFloat(string text, out double value)
    {
        var unsigned = text.TrimStart('+', '-');
        if (unsigned is ".inf" or ".Inf" or ".INF")
        {
            value = text.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (unsigned is ".nan" or ".NaN" or ".NAN")
        {
            value = double.NaN;
            return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
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
}

using System.Globalization;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>What went wrong in a manifest.</summary>
public enum ManifestErrorKind
{
    /// <summary>The file could not be read (missing, too large, not UTF-8 text…).</summary>
    Io,

    /// <summary>YAML or JSON syntax; <see cref="ManifestError.Column"/> is the parser's.</summary>
    Syntax,

    /// <summary>A full-width space (U+3000) where YAML needs an ASCII space.</summary>
    FullWidthSpace,

    /// <summary>Unknown kind or apiVersion, unknown field, or a value of the wrong type.</summary>
    Schema,

    /// <summary>A Kubernetes validation error of an object that decoded.</summary>
    Validation,
}

/// <summary>
/// One problem in a manifest, located by file, document, line and Kubernetes field path.
/// <see cref="ToString"/> gives the short form <c>redis-svc.yaml:14 spec.ports[1].port: Required value</c>;
/// <see cref="ToLongString"/> adds the document (and List item) index and the column.
/// </summary>
public sealed record ManifestError
{
    /// <summary>The file path as given, or the name given to a text or stream source (<c>-</c> for stdin).</summary>
    public required string Source { get; init; }

    /// <summary>0-based index of the YAML document in the source; -1 when the whole source failed (I/O).</summary>
    public int DocumentIndex { get; init; }

    /// <summary>0-based index in <c>items</c> of a <c>kind: List</c>, or null.</summary>
    public int? ItemIndex { get; init; }

    /// <summary>1-based line; 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>1-based column; 0 when unknown.</summary>
    public int Column { get; init; }

    /// <summary>The Kubernetes field path (<c>spec.ports[1].port</c>), or null when the problem is not in one field.</summary>
    public string? Field { get; init; }

    /// <summary>The problem, without location: <c>Required value</c>.</summary>
    public required string Message { get; init; }

    /// <summary>What kind of problem this is.</summary>
    public ManifestErrorKind Kind { get; init; }

    /// <summary>The field error behind a schema or validation problem.</summary>
    public FieldError? FieldError { get; init; }

    /// <summary><c>file:line field: message</c>, or <c>file:line:column: message</c> for syntax errors.</summary>
    public override string ToString()
    {
        var location = Line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{Source}:{Line}") : Source;
        if (Field is null)
        {
            return Kind == ManifestErrorKind.Syntax && Column > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{location}:{Column}: {Message}")
                : $"{location}: {Message}";
        }

        return $"{location} {Field}: {Message}";
    }

    /// <summary><c>file (document 0, item 2) line 14, column 5: spec.ports[1].port: Required value</c>.</summary>
    public string ToLongString()
    {
        var where = new System.Text.StringBuilder(Source);
        if (DocumentIndex >= 0)
        {
            where.Append(CultureInfo.InvariantCulture, $" (document {DocumentIndex}");
            if (ItemIndex is int item)
            {
                where.Append(CultureInfo.InvariantCulture, $", item {item}");
            }

            where.Append(')');
        }

        if (Line > 0)
        {
            where.Append(CultureInfo.InvariantCulture, $" line {Line}, column {Column}");
        }

        return Field is null ? $"{where}: {Message}" : $"{where}: {Field}: {Message}";
    }
}

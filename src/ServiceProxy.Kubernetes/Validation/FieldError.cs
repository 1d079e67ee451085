using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>The kinds of field error Kubernetes reports (<c>k8s.io/apimachinery/pkg/util/validation/field</c>).</summary>
public enum FieldErrorType
{
    /// <summary>"Required value".</summary>
    Required,

    /// <summary>"Invalid value".</summary>
    Invalid,

    /// <summary>"Unsupported value", with the supported values listed.</summary>
    NotSupported,

    /// <summary>"Duplicate value".</summary>
    Duplicate,

    /// <summary>"Forbidden".</summary>
    Forbidden,

    /// <summary>"field not declared in schema" (an unknown field).</summary>
    UnknownField,

    /// <summary>"Too many".</summary>
    TooMany,

    /// <summary>"Too long", with the limit in <see cref="FieldError.Detail"/>.</summary>
    TooLong,
}

/// <summary>
/// One problem with one field, formatted the way kube-apiserver formats it:
/// <c>spec.ports[1].port: Required value</c> or
/// <c>spec.sessionAffinity: Unsupported value: "ClusterIP": supported values: "ClientIP", "None"</c>.
/// </summary>
public sealed record FieldError(string Field, FieldErrorType Type, string? Detail = null, object? BadValue = null)
{
    /// <summary>Kubernetes' reason name for the cause (<c>FieldValueRequired</c>…), as used in a v1 Status.</summary>
    public string Reason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.UnknownField => "FieldValueInvalid",
        FieldErrorType.TooMany => "FieldValueTooMany",
        FieldErrorType.TooLong => "FieldValueTooLong",
        _ => "FieldValueInvalid",
    };

    /// <summary>The message without the field path, e.g. <c>Required value</c>.</summary>
    public string Message => Type switch
    {
        FieldErrorType.Required => Join("Required value", Detail),
        FieldErrorType.Forbidden => Join("Forbidden", Detail),
        FieldErrorType.UnknownField => "field not declared in schema",
        FieldErrorType.TooMany => Join("Too many", Detail),
        FieldErrorType.TooLong => Join("Too long", Detail),
        FieldErrorType.Duplicate => Join($"Duplicate value: {Quote(BadValue)}", Detail),
        FieldErrorType.NotSupported => Join($"Unsupported value: {Quote(BadValue)}", Detail),
        _ => Join($"Invalid value: {Quote(BadValue)}", Detail),
    };

    /// <summary><c>field: message</c>, as kube-apiserver words one cause.</summary>
    public override string ToString() => $"{Field}: {Message}";

    private static string Join(string head, string? detail) => string.IsNullOrEmpty(detail) ? head : $"{head}: {detail}";

    /// <summary>
    /// Go's %q / %v for the values we use: strings quoted, numbers bare. Relaxed escaping keeps
    /// readable text (<c>'</c>, <c>&lt;</c>, CJK) as Go prints it, while still escaping invisible
    /// characters such as U+3000 the way Go's %q does.
    /// </summary>
    private static string Quote(object? value) => value switch
    {
        null => "null",
        string s => JsonSerializer.Serialize(s, QuoteOptions),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(value, QuoteOptions),
    };

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>A Kubernetes <c>IntOrString</c>, as used by <c>targetPort</c>.</summary>
[JsonConverter(typeof(IntOrStringJsonConverter))]
public readonly record struct IntOrString
{
    private IntOrString(int? intValue, string? stringValue)
    {
        IntValue = intValue;
        StringValue = stringValue;
    }

    /// <summary>The number, when it holds one.</summary>
    public int? IntValue { get; }

    /// <summary>The name, when it holds one.</summary>
    public string? StringValue { get; }

    /// <summary>True when it holds a number.</summary>
    public bool IsInt => IntValue.HasValue;

    /// <summary>A number.</summary>
    public static IntOrString FromInt(int value) => new(value, null);

    /// <summary>A name (a container port name for <c>targetPort</c>).</summary>
    public static IntOrString FromString(string value) => new(null, value);

    /// <summary>A number.</summary>
    public static implicit operator IntOrString(int value) => FromInt(value);

    /// <summary>A name.</summary>
    public static implicit operator IntOrString(string value) => FromString(value);

    /// <summary>The number in invariant culture, or the name.</summary>
    public override string ToString() => IntValue?.ToString(CultureInfo.InvariantCulture) ?? StringValue ?? string.Empty;
}

internal sealed class IntOrStringJsonConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => IntOrString.FromInt(reader.GetInt32()),
            JsonTokenType.String => IntOrString.FromString(reader.GetString()!),
            _ => throw new JsonException("expected an integer or a string"),
        };

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (value.IntValue is int i)
        {
            writer.WriteNumberValue(i);
        }
        else
        {
            writer.WriteStringValue(value.StringValue);
        }
    }
}

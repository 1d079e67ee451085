using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// A Kubernetes <c>metav1.Time</c>: RFC 3339 in UTC with second precision (<c>2024-01-02T03:04:05Z</c>)
/// on output, any RFC 3339 offset on input. Clients (kubectl, client-go) read both; a real cluster writes the first.
/// </summary>
internal sealed class KubeTimeJsonConverter() : RfcTimeJsonConverter("yyyy-MM-dd'T'HH:mm:ss'Z'");

/// <summary>
/// A Kubernetes <c>metav1.MicroTime</c>: RFC 3339 in UTC with microseconds
/// (<c>2024-01-02T03:04:05.123456Z</c>) on output, any RFC 3339 time on input.
/// </summary>
internal sealed class KubeMicroTimeJsonConverter() : RfcTimeJsonConverter("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");

/// <summary>An RFC 3339 time written in UTC with <paramref name="format"/>, read with any offset.</summary>
internal abstract class RfcTimeJsonConverter(string format) : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String when DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) => time,
            _ => throw new JsonException("expected an RFC 3339 time"),
        };

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } time)
        {
            writer.WriteStringValue(time.ToUniversalTime().ToString(format, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

using ServiceProxy.Kubernetes.Manifests;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;
using ServiceProxy.Host.Serialization;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Reads request bodies as kube-apiserver does: JSON or YAML by Content-Type, decoded into the
/// route's kind with <c>fieldValidation</c> (Strict, Warn, Ignore). Garbage is a 400, an unknown
/// media type a 415 — never a 500.
/// </summary>
internal static class RequestBody
{
    /// <summary>Bodies larger than this are refused (kube-apiserver's limit is 3 MiB as well).</summary>
    public const int MaxBytes = 3 * 1024 * 1024;

    public static readonly string[] AcceptedMediaTypes = ["application/json", "application/yaml"];

    public static readonly string[] PatchMediaTypes =
        ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    /// <summary>Duplicate-field warnings kept per request; the rest are counted in one more.</summary>
    private const int MaxDuplicateWarnings = 10;

    /// <summary>Where <see cref="ReadJsonAsync"/> leaves the body's duplicate fields for <see cref="Decode"/>.</summary>
    private static readonly object DuplicateFieldsKey = new();

    /// <summary>The body as JSON; <paramref name="allowed"/> lists the media types this request may use.</summary>
    public static async Task<JsonNode> ReadJsonAsync(HttpRequest request, IReadOnlyList<string> allowed, CancellationToken cancellationToken)
    {
        var mediaType = MediaTypeOf(request);
        if (!allowed.Contains(mediaType))
        {
            throw new ApiException(ApiStatus.UnsupportedMediaType());
        }

        var text = await ReadTextAsync(request, cancellationToken);
        try
        {
            var duplicates = new List<string>();
            var node = IsYaml(mediaType) ? ManifestReader.ParseSingle(text) : JsonBodyReader.Parse(text, duplicates);
            request.HttpContext.Items[DuplicateFieldsKey] = duplicates;
            return node ?? throw new ApiException(ApiStatus.BadRequest("the body of the request is empty"));
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            var format = IsYaml(mediaType) ? "yaml" : "json";
            throw new ApiException(ApiStatus.BadRequest($"the body of the request could not be decoded: {format} parse error: {e.Message}"));
        }
    }

    /// <summary>
    /// Binds <paramref name="node"/> to <paramref name="resource"/>'s type. The <c>fieldValidation</c>
    /// query parameter decides what unknown fields do: Strict refuses (400, kube-apiserver's strict
    /// decoding message), Warn (default) adds one Warning header per field (at most
    /// <see cref="UnknownFields.MaxReported"/>, within <see cref="WarningRecorder"/>'s budget), Ignore drops them.
    /// <paramref name="patched"/> says the object is the result of a patch, whose message has no "cannot be handled" prefix.
    /// </summary>
    public static KubeObject Decode(HttpContext context, JsonNode node, KubeResource resource, bool patched = false)
    {
        if (node is not JsonObject obj)
        {
            throw new ApiException(ApiStatus.BadRequest($"the body of the request must be a JSON object, got {node.GetValueKind()}"));
        }

        // Like kube-apiserver's decoder, the route's kind and version fill in what the body leaves out
        // (the C# client, for one, sends objects without them).
        var kind = resource.Kind;
        if (obj["kind"] is { } kindNode)
        {
            kind = (kindNode as JsonValue)?.GetValueKind() == JsonValueKind.String ? kindNode.GetValue<string>() : string.Empty;
        }

        if (kind.Length == 0)
        {
            throw new ApiException(ApiStatus.BadRequest($"Object 'Kind' is missing in '{Abbreviate(obj.ToJsonString())}'"));
        }

        if (kind != resource.Kind)
        {
            throw new ApiException(ApiStatus.BadRequest($"the kind in the body ({kind}) does not match the resource {resource.Plural}, which holds kind {resource.Kind}"));
        }

        var apiVersion = (obj["apiVersion"] as JsonValue)?.ToString();
        if (apiVersion is not null && apiVersion != resource.ApiVersion)
        {
            throw new ApiException(ApiStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})"));
        }

        var validation = context.Request.Query["fieldValidation"].ToString();
        if (validation is not ("" or "Strict" or "Warn" or "Ignore"))
        {
            throw new ApiException(ApiStatus.BadRequest($"fieldValidation parameter unsupported: {validation}; valid values are Strict, Warn, Ignore"));
        }

        if (validation != "Ignore" && context.Items[DuplicateFieldsKey] is List<string> { Count: > 0 } duplicates)
        {
            // Go's decoder keeps the last of duplicate fields; kube-apiserver's strict decoding names them.
            if (validation == "Strict")
            {
                var fields = UnknownFields.Find(obj, resource.ClrType).Select(f => $"unknown field \"{f}\"").Concat(duplicates.Select(f => $"duplicate field \"{f}\""));
                var message = "strict decoding error: " + string.Join(", ", fields);
                throw new ApiException(ApiStatus.BadRequest(patched ? message : $"{kind} in version \"v1\" cannot be handled as a {resource.Kind}: {message}"));
            }

            var recorder = WarningRecorder.For(context);
            foreach (var field in duplicates.Take(MaxDuplicateWarnings))
            {
                recorder.Add($"duplicate field {WarningRecorder.QuoteAscii(field)}");
            }

            if (duplicates.Count > MaxDuplicateWarnings)
            {
                recorder.Add($"{duplicates.Count - MaxDuplicateWarnings} more duplicate fields");
            }
        }

        if (validation != "Ignore" && UnknownFields.Find(obj, resource.ClrType) is { Count: > 0 } unknown)
        {
            if (validation == "Strict")
            {
                var message = UnknownFields.Message(unknown);
                throw new ApiException(ApiStatus.BadRequest(patched ? message : $"{kind} in version \"v1\" cannot be handled as a {resource.Kind}: {message}"));
            }

            var warnings = WarningRecorder.For(context);
            foreach (var field in unknown)
            {
                warnings.Add(UnknownFields.Warning(field));
            }
        }

        try
        {
            BodyShape.Normalize(obj, resource.ClrType);
            return resource.Deserialize(obj, KubeJson.Options);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ApiException(ApiStatus.BadRequest($"{kind} in version \"v1\" cannot be handled as a {resource.Kind}: {e.Message}"));
        }
    }

    private static string MediaTypeOf(HttpRequest request)
    {
        // No default: a body without a media type is what a browser's no-cors fetch sends, and every API client names one.
        if (string.IsNullOrEmpty(request.ContentType)
            || !MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) || parsed.MediaType.Value is not { } value)
        {
            throw new ApiException(ApiStatus.UnsupportedMediaType());
        }

        return value.ToLowerInvariant() switch
        {
            "application/x-yaml" or "text/yaml" or "application/yaml" => "application/yaml",
            var other => other,
        };
    }

    /// <summary>YAML bodies; an apply configuration is YAML too (so JSON, which YAML contains, is one as well).</summary>
    private static bool IsYaml(string mediaType) => mediaType is "application/yaml" or "application/apply-patch+yaml";

    private static async Task<string> ReadTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            throw new ApiException(ApiStatus.Failure(413, "RequestEntityTooLarge", $"the request body is larger than {MaxBytes} bytes"));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new ApiException(ApiStatus.Failure(413, "RequestEntityTooLarge", $"the request body is larger than {MaxBytes} bytes"));
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new ApiException(ApiStatus.BadRequest("the body of the request is not valid UTF-8"));
        }
    }

    private static string Abbreviate(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Registry.Patching;

namespace ServiceProxy.Host.Admin;

/// <summary>Applies the three PATCH media types kube-apiserver accepts to an object's JSON.</summary>
internal static class ObjectPatcher
{
    /// <exception cref="FormatException">The patch is malformed or does not apply.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the client went away).</exception>
    public static JsonNode? Apply(string mediaType, string kind, JsonNode live, JsonNode patch, CancellationToken cancellationToken = default) => mediaType switch
    {
        "application/json-patch+json" => JsonPatch.Apply(live, patch, cancellationToken),
        "application/merge-patch+json" => JsonMergePatch.Apply(live, patch, cancellationToken),
        "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(live, patch, kind, cancellationToken),
        _ => throw new ApiException(ApiStatus.UnsupportedMediaType()),
    };
}

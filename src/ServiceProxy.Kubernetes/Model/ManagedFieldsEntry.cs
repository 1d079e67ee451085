using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// One entry of <c>metadata.managedFields</c>: which fields one manager set, by one kind of
/// operation, as kube-apiserver's server-side apply records them.
/// </summary>
public sealed record ManagedFieldsEntry
{
    /// <summary>The <c>fieldManager</c> of the writes (for example <c>kubectl</c> or <c>kubectl-client-side-apply</c>).</summary>
    public string? Manager { get; init; }

    /// <summary><c>Apply</c> (server-side apply) or <c>Update</c> (create, replace, patch).</summary>
    public string? Operation { get; init; }

    /// <summary>The API version the fields are named in (<c>v1</c>).</summary>
    public string? ApiVersion { get; init; }

    /// <summary>When the manager last changed the object; second precision, UTC.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? Time { get; init; }

    /// <summary>The format of <see cref="FieldsV1"/>: always <c>FieldsV1</c>.</summary>
    public string? FieldsType { get; init; }

    /// <summary>The field set in Kubernetes' FieldsV1 form (<c>{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{}}}}}</c>).</summary>
    public JsonElement? FieldsV1 { get; init; }

    /// <summary>The subresource written through, empty for the object itself.</summary>
    public string? Subresource { get; init; }
}

using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>The part of Kubernetes <c>metadata</c> that ServiceProxy keeps.</summary>
public sealed record ObjectMeta
{
    /// <summary>The namespace of an object that names none.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>The name, unique per kind within the namespace.</summary>
    public string? Name { get; init; }

    /// <summary>A prefix the store completes into a unique name when <see cref="Name"/> is empty.</summary>
    public string? GenerateName { get; init; }

    /// <summary>Defaults to <c>default</c> when absent.</summary>
    public string? Namespace { get; init; }

    /// <summary>Labels, which Service selectors match.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Annotations; <c>serviceproxy.io/*</c> ones tune the proxy per Service.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Set by the store at creation, unique for the object's lifetime.</summary>
    public string? Uid { get; init; }

    /// <summary>The store's version of this object, as a decimal string (opaque to clients).</summary>
    public string? ResourceVersion { get; init; }

    /// <summary>Set by the store: 1 at creation, incremented by each change outside metadata and status.</summary>
    public long? Generation { get; init; }

    /// <summary>Written in UTC as RFC 3339 with second precision (<c>2024-01-02T03:04:05Z</c>), like Kubernetes.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? CreationTimestamp { get; init; }

    /// <summary>Which manager set which fields, by what operation; kept by the API on every write (server-side apply).</summary>
    public IReadOnlyList<ManagedFieldsEntry>? ManagedFields { get; init; }

    /// <summary><see cref="Namespace"/>, or <see cref="DefaultNamespace"/> when it is empty.</summary>
    [JsonIgnore]
    public string NamespaceOrDefault => string.IsNullOrEmpty(Namespace) ? DefaultNamespace : Namespace;
}

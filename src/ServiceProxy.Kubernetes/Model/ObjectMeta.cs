using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>The part of Kubernetes <c>metadata</c> that ServiceProxy keeps.</summary>
public sealed record ObjectMeta
{
    public const string DefaultNamespace = "default";

    public string? Name { get; init; }

    public string? GenerateName { get; init; }

    /// <summary>Defaults to <c>default</c> when absent.</summary>
    public string? Namespace { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public string? Uid { get; init; }

    /// <summary>The store's version of this object, as a decimal string (opaque to clients).</summary>
    public string? ResourceVersion { get; init; }

    public long? Generation { get; init; }

    /// <summary>Written in UTC as RFC 3339 with second precision (<c>2024-01-02T03:04:05Z</c>), like Kubernetes.</summary>
    [JsonConverter(typeof(KubeTimeJsonConverter))]
    public DateTimeOffset? CreationTimestamp { get; init; }

    [JsonIgnore]
    public string NamespaceOrDefault => string.IsNullOrEmpty(Namespace) ? DefaultNamespace : Namespace;
}

using System.Text.Json.Serialization;

namespace ServiceProxy.Kubernetes.Model;

/// <summary>
/// Base of the Kubernetes core/v1 objects ServiceProxy understands. Objects are immutable:
/// change them with <c>with</c> expressions.
/// </summary>
public abstract record KubeObject
{
    /// <summary>An object of <paramref name="kind"/>.</summary>
    protected KubeObject(string kind) => Kind = kind;

    /// <summary>An object of <paramref name="kind"/> in the API group version <paramref name="apiVersion"/>.</summary>
    protected KubeObject(string kind, string apiVersion)
    {
        Kind = kind;
        ApiVersion = apiVersion;
    }

    /// <summary><c>v1</c> for the core kinds; <c>group/version</c> for the others (<c>coordination.k8s.io/v1</c>).</summary>
    [JsonPropertyOrder(-10)]
    public string ApiVersion { get; init; } = "v1";

    /// <summary>The Kubernetes kind: <c>Service</c>, <c>Endpoints</c>, <c>Pod</c>, <c>Node</c> or <c>Lease</c>.</summary>
    [JsonPropertyOrder(-9)]
    public string Kind { get; }

    /// <summary>Name, namespace, labels and the store's bookkeeping.</summary>
    [JsonPropertyOrder(-8)]
    public ObjectMeta Metadata { get; init; } = new();

    /// <summary><c>namespace/name</c>, the key objects are stored under.</summary>
    [JsonIgnore]
    public string Key => $"{Metadata.NamespaceOrDefault}/{Metadata.Name}";
}

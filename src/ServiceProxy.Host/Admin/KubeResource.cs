using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// One stored resource the API serves (services, endpoints, pods, nodes, leases): its names, group
/// and scope, as discovery and kubectl know them, and typed access to the store so the routes stay
/// kind-agnostic.
/// </summary>
internal abstract class KubeResource
{
    protected KubeResource(string plural, string singular, string kind, string[] shortNames, string group, bool namespaced)
    {
        Plural = plural;
        Singular = singular;
        Kind = kind;
        ShortNames = shortNames;
        Group = group;
        Namespaced = namespaced;
    }

    public static IReadOnlyList<KubeResource> All { get; } =
    [
        new KubeResource<Service>("services", "service", "Service", ["svc"]),
        new KubeResource<Endpoints>("endpoints", "endpoints", "Endpoints", ["ep"]),
        new KubeResource<Pod>("pods", "pod", "Pod", ["po"]),
        new KubeResource<Node>("nodes", "node", "Node", ["no"], namespaced: false),
        new KubeResource<Lease>("leases", "lease", "Lease", [], group: "coordination.k8s.io"),
    ];

    public string Plural { get; }

    /// <summary>The API group; empty for the core group.</summary>
    public string Group { get; }

    public string Version => "v1";

    /// <summary><c>v1</c> or <c>group/v1</c>, the objects' apiVersion.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>False for cluster-scoped resources (nodes), whose objects have no namespace.</summary>
    public bool Namespaced { get; }

    public string Singular { get; }

    public string Kind { get; }

    public string ListKind => Kind + "List";

    public IReadOnlyList<string> ShortNames { get; }

    public abstract Type ClrType { get; }

    /// <summary>The resource a URL segment or CLI word names: plural, singular, short name or kind (case-insensitive).</summary>
    public static KubeResource? Find(string name) =>
        All.FirstOrDefault(r =>
            string.Equals(r.Plural, name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(r.Singular, name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(r.Kind, name, StringComparison.OrdinalIgnoreCase)
            || r.ShortNames.Contains(name, StringComparer.OrdinalIgnoreCase));

    /// <summary>The resource served at a URL segment: plural only, like kube-apiserver.</summary>
    public static KubeResource? FromPath(string plural) => All.FirstOrDefault(r => r.Plural == plural && r.Group.Length == 0);

    /// <summary>The resource of <paramref name="group"/>/<paramref name="version"/> served at a URL segment.</summary>
    public static KubeResource? FromPath(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Plural == plural && r.Group == group && r.Version == version);

    public static KubeResource? OfKind(string? kind) => All.FirstOrDefault(r => r.Kind == kind);

    public abstract KubeObject? Get(IObjectStore store, string @namespace, string name);

    public abstract (IReadOnlyList<KubeObject> Items, long ResourceVersion) List(IObjectStore store, string? @namespace);

    public abstract ValueTask<KubeObject> CreateAsync(IObjectStore store, KubeObject obj, WriteOptions options, CancellationToken cancellationToken = default);

    public abstract ValueTask<KubeObject> UpdateAsync(IObjectStore store, KubeObject obj, WriteOptions options, CancellationToken cancellationToken = default);

    public abstract ValueTask<KubeObject> DeleteAsync(IObjectStore store, string @namespace, string name, WriteOptions options, CancellationToken cancellationToken = default);

    /// <summary>Binds JSON to this resource's type; <see cref="JsonException"/> when the shape is wrong.</summary>
    public KubeObject Deserialize(JsonNode node, JsonSerializerOptions options) =>
        (KubeObject?)node.Deserialize(ClrType, options) ?? throw new JsonException("the object is null");
}

internal sealed class KubeResource<T>(string plural, string singular, string kind, string[] shortNames, string group = "", bool namespaced = true)
    : KubeResource(plural, singular, kind, shortNames, group, namespaced)
    where T : KubeObject
{
    public override Type ClrType => typeof(T);

    public override KubeObject? Get(IObjectStore store, string @namespace, string name) => store.Get<T>(@namespace, name);

    public override (IReadOnlyList<KubeObject> Items, long ResourceVersion) List(IObjectStore store, string? @namespace)
    {
        var list = store.List<T>(@namespace);
        return (list.Items, list.ResourceVersion);
    }

    public override async ValueTask<KubeObject> CreateAsync(IObjectStore store, KubeObject obj, WriteOptions options, CancellationToken cancellationToken = default) =>
        await store.CreateAsync((T)obj, options, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<KubeObject> UpdateAsync(IObjectStore store, KubeObject obj, WriteOptions options, CancellationToken cancellationToken = default) =>
        await store.UpdateAsync((T)obj, options, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<KubeObject> DeleteAsync(IObjectStore store, string @namespace, string name, WriteOptions options, CancellationToken cancellationToken = default) =>
        await store.DeleteAsync<T>(@namespace, name, options, cancellationToken).ConfigureAwait(false);
}

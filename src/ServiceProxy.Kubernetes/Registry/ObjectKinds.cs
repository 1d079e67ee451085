using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>The kinds the registry stores, with their Kubernetes resource names.</summary>
internal static class ObjectKinds
{
    private const string Stored = "Service, Endpoints, Pod, Node or Lease";

    public static string Of<T>() where T : KubeObject =>
        typeof(T) == typeof(Service) ? "Service"
        : typeof(T) == typeof(Endpoints) ? "Endpoints"
        : typeof(T) == typeof(Pod) ? "Pod"
        : typeof(T) == typeof(Node) ? "Node"
        : typeof(T) == typeof(Lease) ? "Lease"
        : throw new ArgumentException($"{typeof(T).Name} is not a stored kind; use {Stored}", nameof(T));

    public static string Check(KubeObject obj) =>
        KubeJson.TypeOfKind(obj.Kind) == obj.GetType()
            ? obj.Kind
            : throw new ArgumentException($"kind {obj.Kind} is not stored; use {Stored}", nameof(obj));

    /// <summary>The plural resource name Kubernetes uses in messages (<c>services "x" not found</c>).</summary>
    public static string Resource(string kind) => kind switch
    {
        "Service" => "services",
        "Endpoints" => "endpoints",
        "Pod" => "pods",
        "Node" => "nodes",
        "Lease" => "leases",
        _ => kind.ToLowerInvariant() + "s",
    };

    /// <summary>
    /// Kinds that live outside namespaces (Node). Their objects carry no namespace, and the store's
    /// methods take null or empty as their namespace.
    /// </summary>
    public static bool IsClusterScoped(string kind) => kind == "Node";

    /// <summary>The <c>apiVersion</c> objects of <paramref name="kind"/> carry.</summary>
    public static string ApiVersion(string kind) => kind == "Lease" ? Lease.GroupVersion : "v1";
}

using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>The kinds the registry stores, with their Kubernetes resource names.</summary>
internal static class ObjectKinds
{
    public static string Of<T>() where T : KubeObject =>
        typeof(T) == typeof(Service) ? "Service"
        : typeof(T) == typeof(Endpoints) ? "Endpoints"
        : typeof(T) == typeof(Pod) ? "Pod"
        : throw new ArgumentException($"{typeof(T).Name} is not a stored kind; use Service, Endpoints or Pod", nameof(T));

    public static string Check(KubeObject obj) =>
        KubeJson.TypeOfKind(obj.Kind) == obj.GetType()
            ? obj.Kind
            : throw new ArgumentException($"kind {obj.Kind} is not stored; use Service, Endpoints or Pod", nameof(obj));

    /// <summary>The plural resource name Kubernetes uses in messages (<c>services "x" not found</c>).</summary>
    public static string Resource(string kind) => kind switch
    {
        "Service" => "services",
        "Endpoints" => "endpoints",
        "Pod" => "pods",
        _ => kind.ToLowerInvariant() + "s",
    };
}

using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>The exceptions the store throws, worded as kube-apiserver words them.</summary>
internal static class StoreErrors
{
    public static ObjectStoreException NotFound(string kind, string name)
    {
        var resource = ObjectKinds.Resource(kind);
        return new(StoreErrorReason.NotFound, resource, name, $"{resource} \"{name}\" not found");
    }

    public static ObjectStoreException AlreadyExists(string kind, string name)
    {
        var resource = ObjectKinds.Resource(kind);
        return new(StoreErrorReason.AlreadyExists, resource, name, $"{resource} \"{name}\" already exists");
    }

    public static ObjectStoreException Conflict(string kind, string name)
    {
        var resource = ObjectKinds.Resource(kind);
        return new(
            StoreErrorReason.Conflict,
            resource,
            name,
            $"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
    }

    public static ObjectStoreException Invalid(string kind, string name, IReadOnlyList<FieldError> causes)
    {
        var list = causes.Count == 1 ? causes[0].ToString() : "[" + string.Join(", ", causes) + "]";
        return new(StoreErrorReason.Invalid, kind, name, $"{kind} \"{name}\" is invalid: {list}", causes);
    }

    /// <summary>The durable store refused the write; kube-apiserver answers an etcd failure with 500 InternalError too.</summary>
    public static ObjectStoreException StorageFailed(string kind, string name, string reason)
    {
        var resource = ObjectKinds.Resource(kind);
        return new(StoreErrorReason.StorageFailed, resource, name, $"storage error: {resource} \"{name}\" was not written: {reason}");
    }

    public static ObjectStoreException Gone(long requested, long oldest) =>
        new(StoreErrorReason.Gone, string.Empty, string.Empty, $"too old resource version: {requested} ({oldest})");
}

using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Writes objects followed from another Kubernetes API into this process's in-memory
/// <see cref="IObjectStore"/>, as they were there: no defaulting, validation or allocation (they had
/// them where they were made). Each change gets this store's next resourceVersion, so everything that
/// follows the store (the data plane's <see cref="RegistryConfigProvider"/>, cluster DNS) sees it as
/// any other write. Writing what the store already holds changes nothing.
/// </summary>
public interface IObjectMirror
{
    /// <summary>Creates or replaces <paramref name="obj"/>; true when the store changed.</summary>
    bool Put(KubeObject obj);

    /// <summary>Removes the object of <paramref name="kind"/> at namespace/name; true when it was there.</summary>
    bool Remove(string kind, string @namespace, string name);
}

/// <summary>The <see cref="IObjectMirror"/> of an <see cref="InMemoryObjectStore"/>.</summary>
internal sealed class ObjectMirror(InMemoryObjectStore store) : IObjectMirror
{
    public bool Put(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        _ = ObjectKinds.Check(obj);
        return store.ApplyFollowed(obj, delete: false);
    }

    public bool Remove(string kind, string @namespace, string name)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var existing = store.GetEntry(kind, (ObjectWrites.NamespaceOrDefault(@namespace), name));
        return existing is not null && store.ApplyFollowed(existing.Object, delete: true);
    }
}

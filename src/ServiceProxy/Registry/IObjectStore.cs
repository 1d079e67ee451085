using ServiceProxy.Model;
using ServiceProxy.Validation;

namespace ServiceProxy.Registry;

/// <summary>
/// The store of Services, Endpoints and Pods, keyed by namespace/name, with a monotonically
/// increasing resourceVersion shared by all kinds. Writes validate, default and allocate; a
/// failed write changes nothing. The in-memory implementation can be replaced (etcd, …)
/// without touching consumers.
/// </summary>
public interface IObjectStore
{
    /// <summary>The resourceVersion of the latest write.</summary>
    long ResourceVersion { get; }

    T? Get<T>(string @namespace, string name) where T : KubeObject;

    /// <summary>Lists one kind, in one namespace or (null) all, sorted by namespace then name.</summary>
    ObjectList<T> List<T>(string? @namespace = null) where T : KubeObject;

    /// <summary>Creates; <see cref="StoreErrorReason.AlreadyExists"/> when the key is taken.</summary>
    T Create<T>(T obj, WriteOptions? options = null) where T : KubeObject;

    /// <summary>
    /// Replaces. A set metadata.resourceVersion must equal the stored one, else
    /// <see cref="StoreErrorReason.Conflict"/>. Allocations (clusterIP, nodePorts) are kept when unset.
    /// </summary>
    T Update<T>(T obj, WriteOptions? options = null) where T : KubeObject;

    /// <summary>Deletes and returns the last state; <see cref="StoreErrorReason.NotFound"/> when absent.</summary>
    T Delete<T>(string @namespace, string name, WriteOptions? options = null) where T : KubeObject;

    /// <summary>
    /// Events after <paramref name="fromResourceVersion"/> (0: from now), in resourceVersion order,
    /// for one kind (null: every kind) and namespace (null: all). Throws
    /// <see cref="StoreErrorReason.Gone"/> when that version is older than the history kept.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string? kind, string? @namespace, long fromResourceVersion, CancellationToken cancellationToken);
}

public sealed record WriteOptions
{
    /// <summary>Validate, default and allocate, but store nothing (<c>dryRun=All</c>).</summary>
    public bool DryRun { get; init; }

    /// <summary>Who wrote it: a manifest file path, or null for the API.</summary>
    public string? Owner { get; init; }
}

public sealed record ObjectList<T>(IReadOnlyList<T> Items, long ResourceVersion) where T : KubeObject;

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}

public sealed record WatchEvent(WatchEventType Type, KubeObject Object, long ResourceVersion);

public enum StoreErrorReason
{
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Gone,
}

/// <summary>A refused write or read, with the Kubernetes reason and, for Invalid, per-field causes.</summary>
public sealed class ObjectStoreException : Exception
{
    public ObjectStoreException(StoreErrorReason reason, string kind, string name, string message, IReadOnlyList<FieldError>? causes = null)
        : base(message)
    {
        Reason = reason;
        Kind = kind;
        Name = name;
        Causes = causes ?? [];
    }

    public StoreErrorReason Reason { get; }

    public string Kind { get; }

    public string Name { get; }

    public IReadOnlyList<FieldError> Causes { get; }
}

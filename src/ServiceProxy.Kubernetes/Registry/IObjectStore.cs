using Microsoft.Extensions.Primitives;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Registry;

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

    /// <summary>The object of kind <typeparamref name="T"/> at namespace/name, or null.</summary>
    T? Get<T>(string @namespace, string name) where T : KubeObject;

    /// <summary>Lists one kind, in one namespace or (null or empty) all, sorted by namespace then name.</summary>
    ObjectList<T> List<T>(string? @namespace = null) where T : KubeObject;

    /// <summary>
    /// Creates; <see cref="StoreErrorReason.AlreadyExists"/> when the key is taken. Completes once the
    /// write is committed and visible to this store's reads.
    /// </summary>
    ValueTask<T> CreateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject;

    /// <summary>
    /// Replaces. A set metadata.resourceVersion must equal the stored one, else
    /// <see cref="StoreErrorReason.Conflict"/>. Allocations (clusterIP, nodePorts) are kept when unset.
    /// Completes once the write is committed and visible to this store's reads.
    /// </summary>
    ValueTask<T> UpdateAsync<T>(T obj, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject;

    /// <summary>
    /// Deletes and returns the last state; <see cref="StoreErrorReason.NotFound"/> when absent.
    /// Completes once the delete is committed and visible to this store's reads.
    /// </summary>
    ValueTask<T> DeleteAsync<T>(string @namespace, string name, WriteOptions? options = null, CancellationToken cancellationToken = default) where T : KubeObject;

    /// <summary>
    /// Events after <paramref name="fromResourceVersion"/> (0: from now), in resourceVersion order,
    /// for one kind (null: every kind) and namespace (null: all). Throws
    /// <see cref="StoreErrorReason.Gone"/> when that version is older than the history kept.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string? kind, string? @namespace, long fromResourceVersion, CancellationToken cancellationToken);

    /// <summary>The <see cref="WriteOptions.Owner"/> of the object's last write; null for the API or when absent.</summary>
    string? GetOwner(string kind, string @namespace, string name);

    /// <summary>
    /// Fires once after the next committed write, on the writing thread, after the store's lock is
    /// released. In-process consumers take the token, read, then read the events since what they saw
    /// (<see cref="TryGetEventsSince"/>), so no write is missed.
    /// </summary>
    IChangeToken GetChangeToken();

    /// <summary>
    /// The kept events after <paramref name="resourceVersion"/>, in order, every kind and namespace;
    /// false when that version is older than the history (the consumer must relist).
    /// </summary>
    bool TryGetEventsSince(long resourceVersion, out IReadOnlyList<WatchEvent> events);
}

/// <summary>How one write is made.</summary>
public sealed record WriteOptions
{
    /// <summary>Validate, default and allocate, but store nothing (<c>dryRun=All</c>).</summary>
    public bool DryRun { get; init; }

    /// <summary>Who wrote it: a manifest file path, or null for the API.</summary>
    public string? Owner { get; init; }
}

/// <summary>A list of one kind as of one resourceVersion.</summary>
/// <param name="Items">The objects, sorted by namespace then name.</param>
/// <param name="ResourceVersion">The store's resourceVersion the list reflects; a watch from it misses nothing.</param>
/// <typeparam name="T">The kind.</typeparam>
public sealed record ObjectList<T>(IReadOnlyList<T> Items, long ResourceVersion) where T : KubeObject;

/// <summary>What a write did to an object, as a Kubernetes watch names it.</summary>
public enum WatchEventType
{
    /// <summary>Created.</summary>
    Added,

    /// <summary>Replaced or patched.</summary>
    Modified,

    /// <summary>Deleted; the event carries the last state.</summary>
    Deleted,
}

/// <summary>One committed write.</summary>
/// <param name="Type">What the write did.</param>
/// <param name="Object">The object after the write (before it, for a delete).</param>
/// <param name="ResourceVersion">The store's resourceVersion of this write.</param>
public sealed record WatchEvent(WatchEventType Type, KubeObject Object, long ResourceVersion);

/// <summary>Why the store refused a read or write, as the Kubernetes status reason (HTTP status) names it.</summary>
public enum StoreErrorReason
{
    /// <summary>No such object (404).</summary>
    NotFound,

    /// <summary>An object with that name exists (409).</summary>
    AlreadyExists,

    /// <summary>The given resourceVersion is not the stored one (409).</summary>
    Conflict,

    /// <summary>Validation failed; <see cref="ObjectStoreException.Causes"/> lists each field (422).</summary>
    Invalid,

    /// <summary>A watch asked for a resourceVersion older than the history kept (410).</summary>
    Gone,

    /// <summary>The write could not be made durable; nothing changed.</summary>
    StorageFailed,
}

/// <summary>
/// A refused write or read, with the Kubernetes reason and, for Invalid, per-field causes.
/// <see cref="Kind"/> is what Kubernetes puts in <c>status.details.kind</c>: the resource
/// (<c>services</c>) for NotFound, AlreadyExists and Conflict; the kind (<c>Service</c>) for Invalid.
/// </summary>
public sealed class ObjectStoreException : Exception
{
    /// <summary>A refusal for <paramref name="reason"/> of <paramref name="kind"/> <paramref name="name"/>.</summary>
    public ObjectStoreException(StoreErrorReason reason, string kind, string name, string message, IReadOnlyList<FieldError>? causes = null)
        : base(message)
    {
        Reason = reason;
        Kind = kind;
        Name = name;
        Causes = causes ?? [];
    }

    /// <summary>Why the store refused.</summary>
    public StoreErrorReason Reason { get; }

    /// <summary>The resource or kind, as <c>status.details.kind</c> (see the type's summary).</summary>
    public string Kind { get; }

    /// <summary>The object's name (<c>status.details.name</c>).</summary>
    public string Name { get; }

    /// <summary>For <see cref="StoreErrorReason.Invalid"/>, each field that failed; empty otherwise.</summary>
    public IReadOnlyList<FieldError> Causes { get; }
}

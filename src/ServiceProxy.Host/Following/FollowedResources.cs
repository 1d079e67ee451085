using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using WatchEventType = k8s.WatchEventType;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Following;

/// <summary>
/// v1 Services, mirrored as they are: the JSON the remote API sent, read as the registry's
/// <see cref="Service"/>, so the registry's data-plane path sees exactly what kube-proxy would.
/// </summary>
internal sealed class FollowedServices(IKubernetes client, IObjectMirror mirror, IObjectStore store) : FollowedResource<V1Service, V1ServiceList>
{
    private readonly HashSet<(string, string)> _followed = [];

    public override string Name => "services";

    protected override Task<HttpOperationResponse<V1ServiceList>> ListPageAsync(
        string? continueToken, int? limit, bool watch, string? resourceVersion, int? timeoutSeconds, CancellationToken cancellationToken) =>
        client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: watch ? true : null, continueParameter: continueToken, limit: limit, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, watch: watch ? true : null, cancellationToken: cancellationToken);

    protected override void Replace(IReadOnlyList<V1Service> items) => FollowedObjects.Replace<Service>(mirror, store, items.Select(FollowedObjects.Convert<Service>), _followed);

    protected override bool Apply(WatchEventType type, V1Service obj, int maxObjects) =>
        FollowedObjects.Apply(mirror, type, FollowedObjects.Convert<Service>(obj), maxObjects, _followed);
}

/// <summary>v1 Endpoints, for an API without EndpointSlices.</summary>
internal sealed class FollowedEndpoints(IKubernetes client, IObjectMirror mirror, IObjectStore store) : FollowedResource<V1Endpoints, V1EndpointsList>
{
    private readonly HashSet<(string, string)> _followed = [];

    public override string Name => "endpoints";

    protected override Task<HttpOperationResponse<V1EndpointsList>> ListPageAsync(
        string? continueToken, int? limit, bool watch, string? resourceVersion, int? timeoutSeconds, CancellationToken cancellationToken) =>
        client.CoreV1.ListEndpointsForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: watch ? true : null, continueParameter: continueToken, limit: limit, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, watch: watch ? true : null, cancellationToken: cancellationToken);

    protected override void Replace(IReadOnlyList<V1Endpoints> items) => FollowedObjects.Replace<Endpoints>(mirror, store, items.Select(FollowedObjects.Convert<Endpoints>), _followed);

    protected override bool Apply(WatchEventType type, V1Endpoints obj, int maxObjects) =>
        FollowedObjects.Apply(mirror, type, FollowedObjects.Convert<Endpoints>(obj), maxObjects, _followed);
}

/// <summary>Conversions and mirror writes shared by the followed collections.</summary>
internal static class FollowedObjects
{
    /// <summary>The registry's model of a client object, through the JSON both speak.</summary>
    public static T Convert<T>(IKubernetesObject<V1ObjectMeta> obj) where T : KubeObject =>
        JsonSerializer.Deserialize<T>(KubernetesJson.Serialize(obj), KubeJson.Options)
            ?? throw new JsonException($"{obj.Kind} {obj.Metadata?.Name} is null");

    /// <summary>
    /// Puts every object of <paramref name="items"/> and removes the followed ones of that kind not among them;
    /// <paramref name="followed"/> (when given) becomes their keys.
    /// </summary>
    public static void Replace<T>(IObjectMirror mirror, IObjectStore store, IEnumerable<T> items, HashSet<(string, string)>? followed = null) where T : KubeObject
    {
        var keep = new HashSet<(string, string)>();
        foreach (var item in items)
        {
            mirror.Put(item);
            keep.Add(KeyOf(item));
        }

        if (followed is not null)
        {
            followed.Clear();
            followed.UnionWith(keep);
        }

        foreach (var stale in store.List<T>().Items.Where(o => !keep.Contains((o.Metadata.NamespaceOrDefault, o.Metadata.Name ?? string.Empty))))
        {
            mirror.Remove(stale.Kind, stale.Metadata.NamespaceOrDefault, stale.Metadata.Name ?? string.Empty);
        }
    }

    /// <summary>
    /// Applies one event to the mirror; false when an object new to <paramref name="followed"/> (the keys
    /// followed so far, kept here) would take it beyond <paramref name="maxObjects"/>. Counting the set, not
    /// listing the store, keeps an event's cost the same however many objects are followed.
    /// </summary>
    public static bool Apply<T>(IObjectMirror mirror, WatchEventType type, T obj, int maxObjects, HashSet<(string, string)> followed) where T : KubeObject
    {
        var key = KeyOf(obj);
        if (type == WatchEventType.Deleted)
        {
            mirror.Remove(obj.Kind, key.Item1, key.Item2);
            followed.Remove(key);
            return true;
        }

        if (!followed.Contains(key) && followed.Count >= maxObjects)
        {
            return false;
        }

        mirror.Put(obj);
        followed.Add(key);
        return true;
    }

    private static (string, string) KeyOf(KubeObject obj) => (obj.Metadata.NamespaceOrDefault, obj.Metadata.Name ?? string.Empty);
}

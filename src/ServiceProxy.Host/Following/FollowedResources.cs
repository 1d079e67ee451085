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
    public override string Name => "services";

    protected override Task<HttpOperationResponse<V1ServiceList>> ListPageAsync(
        string? continueToken, int? limit, bool watch, string? resourceVersion, int? timeoutSeconds, CancellationToken cancellationToken) =>
        client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: watch ? true : null, continueParameter: continueToken, limit: limit, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, watch: watch ? true : null, cancellationToken: cancellationToken);

    protected override void Replace(IReadOnlyList<V1Service> items) => FollowedObjects.Replace<Service>(mirror, store, items.Select(FollowedObjects.Convert<Service>));

    protected override bool Apply(WatchEventType type, V1Service obj, int maxObjects) =>
        FollowedObjects.Apply(mirror, store, type, FollowedObjects.Convert<Service>(obj), maxObjects);
}

/// <summary>v1 Endpoints, for an API without EndpointSlices.</summary>
internal sealed class FollowedEndpoints(IKubernetes client, IObjectMirror mirror, IObjectStore store) : FollowedResource<V1Endpoints, V1EndpointsList>
{
    public override string Name => "endpoints";

    protected override Task<HttpOperationResponse<V1EndpointsList>> ListPageAsync(
        string? continueToken, int? limit, bool watch, string? resourceVersion, int? timeoutSeconds, CancellationToken cancellationToken) =>
        client.CoreV1.ListEndpointsForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: watch ? true : null, continueParameter: continueToken, limit: limit, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, watch: watch ? true : null, cancellationToken: cancellationToken);

    protected override void Replace(IReadOnlyList<V1Endpoints> items) => FollowedObjects.Replace<Endpoints>(mirror, store, items.Select(FollowedObjects.Convert<Endpoints>));

    protected override bool Apply(WatchEventType type, V1Endpoints obj, int maxObjects) =>
        FollowedObjects.Apply(mirror, store, type, FollowedObjects.Convert<Endpoints>(obj), maxObjects);
}

/// <summary>Conversions and mirror writes shared by the followed collections.</summary>
internal static class FollowedObjects
{
    /// <summary>The registry's model of a client object, through the JSON both speak.</summary>
    public static T Convert<T>(IKubernetesObject<V1ObjectMeta> obj) where T : KubeObject =>
        JsonSerializer.Deserialize<T>(KubernetesJson.Serialize(obj), KubeJson.Options)
            ?? throw new JsonException($"{obj.Kind} {obj.Metadata?.Name} is null");

    /// <summary>Puts every object of <paramref name="items"/> and removes the followed ones of that kind not among them.</summary>
    public static void Replace<T>(IObjectMirror mirror, IObjectStore store, IEnumerable<T> items) where T : KubeObject
    {
        var keep = new HashSet<(string, string)>();
        foreach (var item in items)
        {
            mirror.Put(item);
            keep.Add((item.Metadata.NamespaceOrDefault, item.Metadata.Name ?? string.Empty));
        }

        foreach (var stale in store.List<T>().Items.Where(o => !keep.Contains((o.Metadata.NamespaceOrDefault, o.Metadata.Name ?? string.Empty))))
        {
            mirror.Remove(stale.Kind, stale.Metadata.NamespaceOrDefault, stale.Metadata.Name ?? string.Empty);
        }
    }

    public static bool Apply<T>(IObjectMirror mirror, IObjectStore store, WatchEventType type, T obj, int maxObjects) where T : KubeObject
    {
        if (type == WatchEventType.Deleted)
        {
            mirror.Remove(obj.Kind, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name ?? string.Empty);
            return true;
        }

        if (store.Get<T>(obj.Metadata.NamespaceOrDefault, obj.Metadata.Name ?? string.Empty) is null && store.List<T>().Items.Count >= maxObjects)
        {
            return false;
        }

        mirror.Put(obj);
        return true;
    }
}

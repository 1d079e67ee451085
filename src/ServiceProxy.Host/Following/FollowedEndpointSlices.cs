using k8s;
using k8s.Autorest;
using k8s.Models;
using WatchEventType = k8s.WatchEventType;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Following;

/// <summary>
/// discovery.k8s.io/v1 EndpointSlices, grouped by their Service (<c>kubernetes.io/service-name</c>);
/// each change to a Service's slices rewrites its Endpoints (<see cref="EndpointSliceMerge"/>), which
/// is what the registry's data-plane path reads. Touched only by the one loop that follows them.
/// </summary>
internal sealed class FollowedEndpointSlices(IKubernetes client, IObjectMirror mirror, IObjectStore store) : FollowedResource<V1EndpointSlice, V1EndpointSliceList>
{
    private readonly Dictionary<(string Namespace, string Service), Dictionary<string, V1EndpointSlice>> _byService = [];

    // Slice (namespace, name) → the Service it was filed under, so a slice whose label changes moves.
    private readonly Dictionary<(string Namespace, string Name), (string Namespace, string Service)> _owners = [];

    public override string Name => "endpointslices";

    protected override Task<HttpOperationResponse<V1EndpointSliceList>> ListPageAsync(
        string? continueToken, int? limit, bool watch, string? resourceVersion, int? timeoutSeconds, CancellationToken cancellationToken) =>
        client.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(
            allowWatchBookmarks: watch ? true : null, continueParameter: continueToken, limit: limit, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, watch: watch ? true : null, cancellationToken: cancellationToken);

    protected override void Replace(IReadOnlyList<V1EndpointSlice> items)
    {
        _byService.Clear();
        _owners.Clear();
        foreach (var slice in items)
        {
            File(slice);
        }

        FollowedObjects.Replace<Endpoints>(mirror, store, _byService.Select(g => EndpointSliceMerge.Merge(g.Key.Namespace, g.Key.Service, g.Value.Values)));
    }

    protected override bool Apply(WatchEventType type, V1EndpointSlice obj, int maxObjects)
    {
        var key = KeyOf(obj);
        if (type != WatchEventType.Deleted && !_owners.ContainsKey(key) && _owners.Count >= maxObjects)
        {
            return false;
        }

        var before = Unfile(key);
        var after = type == WatchEventType.Deleted ? null : File(obj);
        if (before is { } old && old != after)
        {
            Publish(old);
        }

        if (after is { } service)
        {
            Publish(service);
        }

        return true;
    }

    private static (string Namespace, string Name) KeyOf(V1EndpointSlice slice) =>
        (string.IsNullOrEmpty(slice.Metadata?.NamespaceProperty) ? ObjectMeta.DefaultNamespace : slice.Metadata.NamespaceProperty, slice.Metadata?.Name ?? string.Empty);

    private (string Namespace, string Service)? File(V1EndpointSlice slice)
    {
        if (EndpointSliceMerge.ServiceOf(slice) is not { } service)
        {
            return null;
        }

        var key = KeyOf(slice);
        if (!_byService.TryGetValue(service, out var slices))
        {
            slices = new Dictionary<string, V1EndpointSlice>(StringComparer.Ordinal);
            _byService[service] = slices;
        }

        slices[key.Name] = slice;
        _owners[key] = service;
        return service;
    }

    private (string Namespace, string Service)? Unfile((string Namespace, string Name) key)
    {
        if (!_owners.Remove(key, out var service))
        {
            return null;
        }

        if (_byService.TryGetValue(service, out var slices) && slices.Remove(key.Name) && slices.Count == 0)
        {
            _byService.Remove(service);
        }

        return service;
    }

    private void Publish((string Namespace, string Service) service)
    {
        if (_byService.TryGetValue(service, out var slices))
        {
            mirror.Put(EndpointSliceMerge.Merge(service.Namespace, service.Service, slices.Values));
        }
        else
        {
            mirror.Remove("Endpoints", service.Namespace, service.Service);
        }
    }
}

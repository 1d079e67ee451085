using System.Globalization;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// discovery.k8s.io/v1 EndpointSlices, read-only (list, get, watch), derived from Endpoints:
/// kubectl describe svc reads a service's endpoints from its slices.
/// </summary>
internal static class EndpointSliceApi
{
    public const string GroupVersion = "discovery.k8s.io/v1";
    private const string Prefix = "/apis/" + GroupVersion;

    public static readonly IReadOnlyList<TableColumn> Columns =
    [
        new("Name", "string", "name", "Name must be unique within a namespace."),
        new("AddressType", "string", "", "The IP protocol for this slice."),
        new("Ports", "string", "", "The ports for this slice."),
        new("Endpoints", "string", "", "The endpoints for this slice."),
        new("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created."),
    ];

    public static void MapEndpointSliceApi(this IEndpointRouteBuilder app)
    {
        app.Map(Prefix + "/endpointslices", (HttpContext c) => Collection(c, null));
        app.Map(Prefix + "/namespaces/{namespace}/endpointslices", (HttpContext c, string @namespace) => Collection(c, @namespace));
        app.Map(Prefix + "/namespaces/{namespace}/endpointslices/{name}", (HttpContext c, string @namespace, string name) => Item(c, @namespace, name));
    }

    private static Task Collection(HttpContext context, string? @namespace) => ReadOnlyApi.Handle(context, async () =>
    {
        var store = context.RequestServices.GetRequiredService<IObjectStore>();
        var filter = ObjectFilter.FromQuery(context.Request.Query, name: null);
        if (ReadOnlyApi.IsWatch(context))
        {
            await WatchAsync(context, store, @namespace, filter);
            return;
        }

        var (slices, resourceVersion) = EndpointSlices.List(store, @namespace);
        var now = Now(context);
        await ReadOnlyApi.WriteListAsync(
            context,
            GroupVersion,
            "EndpointSliceList",
            Columns,
            [.. slices.Where(s => filter.Matches(s.Metadata)).Select(s => new TableRow(Cells(s, now), s.Json))],
            resourceVersion.ToString(CultureInfo.InvariantCulture));
    });

    private static Task Item(HttpContext context, string @namespace, string name) => ReadOnlyApi.Handle(context, async () =>
    {
        var store = context.RequestServices.GetRequiredService<IObjectStore>();
        var slice = EndpointSlices.List(store, @namespace).Slices.FirstOrDefault(s => s.Metadata.Name == name)
            ?? throw new ApiException(ApiStatus.NotFound("endpointslices.discovery.k8s.io", name));
        await ReadOnlyApi.WriteObjectAsync(context, Columns, new TableRow(Cells(slice, Now(context)), slice.Json));
    });

    /// <summary>
    /// Subsets a resumed watch assumes an Endpoints may have had before a change it did not see:
    /// slices of subsets beyond the current count and this are not reported DELETED.
    /// </summary>
    private const int ResumedSubsets = 8;

    /// <summary>
    /// Follows Endpoints events and turns each into the slice events it implies; remembers, per
    /// Endpoints object, the slices last sent so a slice that disappears is reported DELETED.
    /// </summary>
    private static async Task WatchAsync(HttpContext context, IObjectStore store, string? @namespace, ObjectFilter filter)
    {
        var from = WatchApi.ParseResourceVersion(context.Request.Query["resourceVersion"].ToString());
        WatchApi.EnsureNotAhead(store, from);
        await using var stream = await WatchStream.StartAsync(context, Columns);
        var sent = new Dictionary<string, Dictionary<string, EndpointSlice>>(StringComparer.Ordinal);
        try
        {
            if (from is null)
            {
                var endpoints = store.List<Endpoints>(@namespace);
                foreach (var e in endpoints.Items)
                {
                    await SendAsync(stream, context, filter, sent, e.Key, Derive(store, e));
                }

                from = endpoints.ResourceVersion;
            }

            stream.StartBookmarks(GroupVersion, "EndpointSlice", from.Value);
            await foreach (var change in store.WatchAsync("Endpoints", @namespace, from.Value, stream.Token))
            {
                if (change.Object is Endpoints e)
                {
                    if (change.Type == WatchEventType.Deleted && !sent.ContainsKey(e.Key))
                    {
                        // Resumed from a resourceVersion: the slices sent before are unknown here, but the
                        // deleted Endpoints' last state names them.
                        sent[e.Key] = Derive(store, e).Where(s => filter.Matches(s.Metadata)).ToDictionary(s => s.Metadata.Name!, StringComparer.Ordinal);
                    }
                    else if (change.Type == WatchEventType.Modified && !sent.ContainsKey(e.Key))
                    {
                        // Resumed, and the Endpoints changed: a subset or an address family may be gone, and
                        // with it a slice the client holds. Every slice it could hold is reported, gone ones
                        // DELETED (an informer drops a deletion of what it never had).
                        var subsets = Math.Max(e.Subsets?.Count ?? 0, ResumedSubsets);
                        sent[e.Key] = EndpointSlices.Possible(e, store.Get<Service>(e.Metadata.NamespaceOrDefault, e.Metadata.Name ?? string.Empty), subsets)
                            .Where(s => filter.Matches(s.Metadata)).ToDictionary(s => s.Metadata.Name!, StringComparer.Ordinal);
                    }

                    await SendAsync(stream, context, filter, sent, e.Key, change.Type == WatchEventType.Deleted ? [] : Derive(store, e));
                }

                stream.Delivered(change.ResourceVersion);
            }
        }
        catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.Gone)
        {
            await stream.WriteErrorAsync(ApiStatus.Expired(e.Message));
        }
        catch (OperationCanceledException) when (stream.Token.IsCancellationRequested)
        {
            // Timeout, client gone, or shutting down.
            await stream.EndAsync();
        }
    }

    private static IReadOnlyList<EndpointSlice> Derive(IObjectStore store, Endpoints e) =>
        EndpointSlices.From(e, store.Get<Service>(e.Metadata.NamespaceOrDefault, e.Metadata.Name ?? string.Empty));

    private static async Task SendAsync(WatchStream stream, HttpContext context, ObjectFilter filter, Dictionary<string, Dictionary<string, EndpointSlice>> sent, string key, IReadOnlyList<EndpointSlice> slices)
    {
        var before = sent.GetValueOrDefault(key) ?? [];
        var after = slices.Where(s => filter.Matches(s.Metadata)).ToDictionary(s => s.Metadata.Name!, StringComparer.Ordinal);
        var now = Now(context);
        foreach (var (name, slice) in after)
        {
            await stream.WriteAsync(before.ContainsKey(name) ? "MODIFIED" : "ADDED", slice.Json, () => Cells(slice, now));
        }

        foreach (var (name, slice) in before.Where(b => !after.ContainsKey(b.Key)))
        {
            await stream.WriteAsync("DELETED", slice.Json, () => Cells(slice, now));
        }

        if (after.Count == 0)
        {
            sent.Remove(key);
        }
        else
        {
            sent[key] = after;
        }
    }

    private static IReadOnlyList<string> Cells(EndpointSlice slice, DateTimeOffset now) =>
    [
        slice.Metadata.Name ?? string.Empty,
        slice.Json["addressType"]?.GetValue<string>() ?? string.Empty,
        EndpointSlices.Cell(slice.Ports),
        EndpointSlices.Cell(slice.Addresses),
        HumanDuration.Since(slice.Metadata.CreationTimestamp, now),
    ];

    private static DateTimeOffset Now(HttpContext context) => context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
}

using System.Globalization;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// <c>?watch=true</c>: newline-delimited <c>{"type":"ADDED","object":{…}}</c> events. Without a
/// resourceVersion (or with "0") the stream starts with the current objects as ADDED, like
/// kube-apiserver; with one, it resumes after that version, or ends with a 410 Expired ERROR event
/// when the store no longer has that history.
/// </summary>
internal static class WatchApi
{
    public static async Task StreamAsync(HttpContext context, IObjectStore store, KubeResource resource, string? @namespace, string? name)
    {
        var filter = ObjectFilter.FromQuery(context.Request.Query, name);
        var from = ParseResourceVersion(context.Request.Query["resourceVersion"].ToString());
        EnsureNotAhead(store, from);
        await using var stream = await WatchStream.StartAsync(context, ResourceTables.Columns(resource.Kind));
        try
        {
            if (from is null)
            {
                var (items, listVersion) = resource.List(store, @namespace);
                foreach (var obj in items.Where(filter.Matches))
                {
                    await stream.WriteAsync("ADDED", obj);
                }

                from = listVersion;
            }

            stream.StartBookmarks(resource.ApiVersion, resource.Kind, from.Value);
            await foreach (var change in store.WatchAsync(resource.Kind, @namespace, from.Value, stream.Token))
            {
                if (change.Object.Kind == resource.Kind && filter.Matches(change.Object))
                {
                    await stream.WriteAsync(EventType(change.Type), change.Object);
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
            // Timeout, client gone, or shutting down: the stream just ends, as kube-apiserver's does.
            await stream.EndAsync();
        }
    }

    public static string EventType(WatchEventType type) => type switch
    {
        WatchEventType.Added => "ADDED",
        WatchEventType.Modified => "MODIFIED",
        _ => "DELETED",
    };

    /// <summary>
    /// A watch from a resourceVersion the store has not reached (a client that followed this API before
    /// a restart restored it from <c>--data-dir</c> with new versions) is refused as kube-apiserver refuses
    /// it, 504 "Too large resource version", so the client lists again rather than missing what lies between.
    /// </summary>
    public static void EnsureNotAhead(IObjectStore store, long? from)
    {
        if (from is { } version && version > store.ResourceVersion)
        {
            throw new ApiException(ApiStatus.Failure(504, "Timeout", string.Create(CultureInfo.InvariantCulture, $"Too large resource version: {version}, current: {store.ResourceVersion}")));
        }
    }

    /// <summary>A watch's <c>resourceVersion</c>: null (or "0") means "start with the current state".</summary>
    public static long? ParseResourceVersion(string text)
    {
        if (text is "" or "0")
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new ApiException(ApiStatus.BadRequest($"invalid resource version \"{text}\""));
    }
}

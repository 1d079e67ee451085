using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Model;
using ServiceProxy.Registry;

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
        var timeout = ParseTimeout(context.Request.Query["timeoutSeconds"].ToString());

        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        if (timeout is { } t)
        {
            cancellation.CancelAfter(t);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);

        if (from is null)
        {
            var (items, listVersion) = resource.List(store, @namespace);
            foreach (var obj in items.Where(filter.Matches))
            {
                await WriteEventAsync(context, "ADDED", JsonSerializer.SerializeToNode(obj, obj.GetType(), KubeJson.Options), cancellation.Token);
            }

            from = listVersion;
        }

        try
        {
            await foreach (var change in store.WatchAsync(resource.Kind, @namespace, from.Value, cancellation.Token))
            {
                if (change.Object.Kind != resource.Kind || !filter.Matches(change.Object))
                {
                    continue;
                }

                var type = change.Type switch
                {
                    WatchEventType.Added => "ADDED",
                    WatchEventType.Modified => "MODIFIED",
                    _ => "DELETED",
                };
                await WriteEventAsync(context, type, JsonSerializer.SerializeToNode(change.Object, change.Object.GetType(), KubeJson.Options), cancellation.Token);
            }
        }
        catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.Gone)
        {
            await WriteEventAsync(context, "ERROR", JsonSerializer.SerializeToNode(ApiStatus.Expired(e.Message), KubeJson.Options), cancellation.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Timeout, client gone, or shutting down: the stream just ends, as kube-apiserver's does.
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string type, JsonNode? obj, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await context.Response.WriteAsync(line, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static long? ParseResourceVersion(string text)
    {
        if (text is "" or "0")
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new ApiException(ApiStatus.BadRequest($"invalid resource version \"{text}\""));
    }

    private static TimeSpan? ParseTimeout(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ApiException(ApiStatus.BadRequest($"invalid timeoutSeconds \"{text}\""));
    }
}

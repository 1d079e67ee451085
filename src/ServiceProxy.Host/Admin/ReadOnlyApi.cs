using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// What the read-only resources (endpointslices, events, namespaces) share: GET only, errors as
/// Status, lists as <c>…List</c> or as a Table when kubectl asks for one.
/// </summary>
internal static class ReadOnlyApi
{
    public static async Task Handle(HttpContext context, Func<Task> handler)
    {
        try
        {
            if (!HttpMethods.IsGet(context.Request.Method))
            {
                throw new ApiException(ApiStatus.MethodNotAllowed(context.Request.Method));
            }

            await handler();
        }
        catch (ApiException e)
        {
            await ApiResponses.WriteStatusAsync(context, e.Status);
        }
        catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.Gone)
        {
            await ApiResponses.WriteStatusAsync(context, ApiStatus.Expired(e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    public static bool IsWatch(HttpContext context) => context.Request.Query["watch"].ToString() is "true" or "1";

    /// <summary>One object (GET of an item), as a one-row Table with <paramref name="columns"/> when kubectl asks for one.</summary>
    public static Task WriteObjectAsync(HttpContext context, IReadOnlyList<TableColumn> columns, TableRow row)
    {
        if (TableResponses.IsTableRequested(context.Request))
        {
            var resourceVersion = row.Object["metadata"]?["resourceVersion"]?.GetValue<string>();
            return ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, TableResponses.Build(context, columns, [row], resourceVersion));
        }

        return ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, row.Object);
    }

    public static Task WriteListAsync(HttpContext context, string apiVersion, string listKind, IReadOnlyList<TableColumn> columns, IReadOnlyList<TableRow> rows, string resourceVersion)
    {
        if (TableResponses.IsTableRequested(context.Request))
        {
            return ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, TableResponses.Build(context, columns, rows, resourceVersion));
        }

        return ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["kind"] = listKind,
            ["apiVersion"] = apiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["items"] = new JsonArray([.. rows.Select(r => (JsonNode)r.Object.DeepClone())]),
        });
    }
}

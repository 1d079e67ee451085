using System.Text.Json;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>Writes API responses, and turns every failure of a handler into a Kubernetes Status.</summary>
internal static class ApiResponses
{
    /// <summary>
    /// Runs <paramref name="handler"/> for the resource named in the path; unknown resources (null) are a
    /// 404 Status, store errors their Kubernetes Status, anything unexpected a 500 Status (logged).
    /// </summary>
    public static async Task Handle(HttpContext context, KubeResource? resource, string? name, Func<KubeResource, Task> handler)
    {
        if (resource is null)
        {
            await WriteStatusAsync(context, ApiStatus.ResourceNotFound());
            return;
        }

        try
        {
            await handler(resource);
        }
        catch (ApiException e)
        {
            await WriteStatusAsync(context, e.Status);
        }
        catch (ObjectStoreException e)
        {
            await WriteStatusAsync(context, ApiStatus.FromStore(e, resource, name));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ServiceProxy.Host.Admin").LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteStatusAsync(context, ApiStatus.Failure(500, "InternalError", $"Internal error occurred: {e.Message}"));
        }
    }

    public static Task WriteObjectAsync(HttpContext context, int statusCode, KubeObject obj) =>
        WriteAsync(context, statusCode, obj, obj.GetType());

    public static Task WriteJsonAsync<T>(HttpContext context, int statusCode, T value) =>
        WriteAsync(context, statusCode, value, typeof(T));

    public static Task WriteStatusAsync(HttpContext context, ApiStatus status)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(context, status.Code, status, typeof(ApiStatus));
    }

    private static async Task WriteAsync(HttpContext context, int statusCode, object? value, Type type)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, KubeJson.Options, context.RequestAborted);
    }
}

using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// <c>PATCH</c> with <c>application/apply-patch+yaml</c>: server-side apply of a configuration
/// (YAML or JSON) to one object, creating it when absent, as kube-apiserver does it.
/// </summary>
internal static class ApplyRequests
{
    public const string MediaType = "application/apply-patch+yaml";

    private const int MaxAttempts = 5;

    public static bool IsApply(HttpRequest request) =>
        request.ContentType?.Split(';')[0].Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Applies and returns the status code (201 when the apply created the object) and the stored object.</summary>
    public static async Task<(int Status, KubeObject Object)> ApplyAsync(HttpContext context, IObjectStore store, KubeResource resource,
        string @namespace, string name, Func<HttpContext, WriteOptions> writeOptions)
    {
        var manager = ManagedFieldsTracking.ManagerOf(context, "PatchOptions", required: true);
        var force = Force(context);
        var body = await RequestBody.ReadJsonAsync(context.Request, RequestBody.PatchMediaTypes, context.RequestAborted);
        var config = Validated(context, body, resource, @namespace, name);
        var fieldManager = ManagedFieldsTracking.ManagerFor(resource);
        for (var attempt = 1; ; attempt++)
        {
            var live = resource.Get(store, @namespace, name);
            JsonObject merged;
            IReadOnlyList<ManagedFieldsEntry> entries;
            try
            {
                (merged, entries) = fieldManager.Apply(
                    live is null ? null : ManagedFieldsTracking.JsonOf(live), live?.Metadata.ManagedFields, config, manager, force, ManagedFieldsTracking.Now(context));
            }
            catch (ApplyConflictException e)
            {
                throw new ApiException(ConflictStatus(e.Conflicts));
            }
            catch (FormatException e)
            {
                throw new ApiException(ApiStatus.BadRequest($"the apply could not be merged: {e.Message}"));
            }
            catch (TooManyManagersException e)
            {
                throw new ApiException(ApiStatus.Invalid(resource.Kind, name, [e.Cause]));
            }

            var obj = ManagedFieldsTracking.WithManagedFields(RequestBody.Decode(context, merged, resource, patched: true), entries);
            try
            {
                if (live is null)
                {
                    return (StatusCodes.Status201Created, await resource.CreateAsync(store, obj, writeOptions(context), context.RequestAborted));
                }

                obj = obj with { Metadata = obj.Metadata with { ResourceVersion = live.Metadata.ResourceVersion } };
                return (StatusCodes.Status200OK, await resource.UpdateAsync(store, obj, writeOptions(context), context.RequestAborted));
            }
            catch (ObjectStoreException e) when (attempt < MaxAttempts
                && ((e.Reason == StoreErrorReason.Conflict && e.Causes.Count == 0) || e.Reason is StoreErrorReason.AlreadyExists or StoreErrorReason.NotFound))
            {
                // Someone wrote between our read and our write: apply again to what is there now.
            }
        }
    }

    /// <summary>kube-apiserver's 409 for an apply that would take fields from other managers.</summary>
    public static ApiStatus ConflictStatus(IReadOnlyList<FieldConflict> conflicts)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Manager}: {conflicts[0].Field}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => c.Manager).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select(c => $"- {c.Field}").Prepend($"conflicts with {g.Key}:"));
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }

        return ApiStatus.Failure(409, "Conflict", message, new StatusDetails
        {
            Causes = [.. conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with {c.Manager}", c.Field))],
        });
    }

    private static bool Force(HttpContext context)
    {
        var force = context.Request.Query["force"].ToString();
        return force switch
        {
            "" or "false" or "0" => false,
            "true" or "1" => true,
            _ => throw new ApiException(ApiStatus.BadRequest($"force: invalid value \"{force}\": must be true or false")),
        };
    }

    /// <summary>The configuration, checked as a body of this kind (kind, version, field types, unknown fields) and named as the URL.</summary>
    private static JsonObject Validated(HttpContext context, JsonNode body, KubeResource resource, string @namespace, string name)
    {
        if (body is not JsonObject config)
        {
            throw new ApiException(ApiStatus.BadRequest($"the body of the request must be a JSON object, got {body.GetValueKind()}"));
        }

        if (config["metadata"]?["managedFields"] is not null)
        {
            throw new ApiException(ApiStatus.BadRequest("metadata.managedFields must be nil"));
        }

        var decoded = RequestBody.Decode(context, config.DeepClone(), resource);
        if (decoded.Metadata.Name is { Length: > 0 } bodyName && bodyName != name)
        {
            throw new ApiException(ApiStatus.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})"));
        }

        if (!string.IsNullOrEmpty(decoded.Metadata.Namespace) && decoded.Metadata.Namespace != @namespace)
        {
            throw new ApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        }

        if (config["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            config["metadata"] = metadata;
        }

        metadata["name"] = name;
        metadata["namespace"] = @namespace;
        config["apiVersion"] = "v1";
        config["kind"] = resource.Kind;
        return config;
    }
}

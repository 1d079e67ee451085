using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin.ServerSideApply;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The REST paths of the stored resources (core/v1 services, endpoints, pods and nodes;
/// coordination.k8s.io/v1 leases): collection GET (list or watch) and POST, item GET, PUT, PATCH and
/// DELETE, with kube-apiserver's status codes and Status bodies.
/// </summary>
internal static class ResourceApi
{
    private const int MaxPatchAttempts = 5;

    public static void MapResourceApi(this IEndpointRouteBuilder app)
    {
        app.Map("/api/v1/{resource}", (HttpContext c, string resource) => Collection(c, null, Core(resource)));
        app.Map("/api/v1/{resource}/{name}", (HttpContext c, string resource, string name) => Item(c, null, Core(resource), name));
        app.Map("/api/v1/namespaces/{namespace}/{resource}", (HttpContext c, string @namespace, string resource) => Collection(c, @namespace, Core(resource)));
        app.Map("/api/v1/namespaces/{namespace}/{resource}/{name}", (HttpContext c, string @namespace, string resource, string name) => Item(c, @namespace, Core(resource), name));
        app.Map("/apis/{group}/{version}/{resource}", (HttpContext c, string group, string version, string resource) =>
            Collection(c, null, KubeResource.FromPath(group, version, resource)));
        app.Map("/apis/{group}/{version}/{resource}/{name}", (HttpContext c, string group, string version, string resource, string name) =>
            Item(c, null, KubeResource.FromPath(group, version, resource), name));
        app.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}", (HttpContext c, string group, string version, string @namespace, string resource) =>
            Collection(c, @namespace, KubeResource.FromPath(group, version, resource)));
        app.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}", (HttpContext c, string group, string version, string @namespace, string resource, string name) =>
            Item(c, @namespace, KubeResource.FromPath(group, version, resource), name));
        app.Map("/api/v1/watch/{resource}", (HttpContext c, string resource) => LegacyWatch(c, null, resource, null));
        app.Map("/api/v1/watch/{resource}/{name}", (HttpContext c, string resource, string name) => LegacyWatch(c, null, resource, name));
        app.Map("/api/v1/watch/namespaces/{namespace}/{resource}", (HttpContext c, string @namespace, string resource) => LegacyWatch(c, @namespace, resource, null));
        app.Map("/api/v1/watch/namespaces/{namespace}/{resource}/{name}", (HttpContext c, string @namespace, string resource, string name) => LegacyWatch(c, @namespace, resource, name));
    }

    private static KubeResource? Core(string plural) => KubeResource.FromPath(plural);

    /// <summary>
    /// A path names a resource in its scope: a namespaced one under a namespace (or none, to list or
    /// watch across them), a cluster-scoped one never under a namespace, as kube-apiserver routes them.
    /// </summary>
    private static KubeResource? InScope(KubeResource? resource, string? @namespace, bool item) =>
        resource is null ? null
        : resource.Namespaced ? (item && @namespace is null ? null : resource)
        : @namespace is null ? resource : null;

    private static Task Collection(HttpContext context, string? @namespace, KubeResource? named) =>
        ApiResponses.Handle(context, InScope(named, @namespace, item: false), null, async resource =>
        {
            var store = context.RequestServices.GetRequiredService<IObjectStore>();
            switch (context.Request.Method)
            {
                case "GET" when IsWatch(context):
                    await WatchApi.StreamAsync(context, store, resource, @namespace, null);
                    break;
                case "GET":
                    await ListAsync(context, store, resource, @namespace);
                    break;
                case "POST" when @namespace is not null || !resource.Namespaced:
                    var body = await RequestBody.ReadJsonAsync(context.Request, RequestBody.AcceptedMediaTypes, context.RequestAborted);
                    var obj = WithNamespace(RequestBody.Decode(context, body, resource), @namespace);
                    obj = ManagedFieldsTracking.Track(context, resource, null, obj, ManagedFieldsTracking.ManagerOf(context, "CreateOptions"));
                    var created = await resource.CreateAsync(store, obj, WriteOptionsOf(context), context.RequestAborted);
                    await ApiResponses.WriteObjectAsync(context, StatusCodes.Status201Created, created);
                    break;
                default:
                    throw new ApiException(ApiStatus.MethodNotAllowed(context.Request.Method));
            }
        });

    private static Task Item(HttpContext context, string? @namespace, KubeResource? named, string name) =>
        ApiResponses.Handle(context, InScope(named, @namespace, item: true), name, async resource =>
        {
            var store = context.RequestServices.GetRequiredService<IObjectStore>();
            var ns = @namespace ?? string.Empty;
            switch (context.Request.Method)
            {
                case "GET":
                    var found = resource.Get(store, ns, name) ?? throw new ApiException(ApiStatus.NotFound(resource.Plural, name));
                    if (TableResponses.IsTableRequested(context.Request))
                    {
                        await TableResponses.WriteObjectAsync(context, resource, found);
                        break;
                    }

                    await ApiResponses.WriteObjectAsync(context, StatusCodes.Status200OK, found);
                    break;
                case "PUT":
                    var body = await RequestBody.ReadJsonAsync(context.Request, RequestBody.AcceptedMediaTypes, context.RequestAborted);
                    var obj = WithNamespace(RequestBody.Decode(context, body, resource), @namespace);
                    if (obj.Metadata.Name != name)
                    {
                        throw new ApiException(ApiStatus.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})"));
                    }

                    obj = ManagedFieldsTracking.Track(context, resource, resource.Get(store, ns, name), obj, ManagedFieldsTracking.ManagerOf(context, "UpdateOptions"));
                    await ApiResponses.WriteObjectAsync(context, StatusCodes.Status200OK, await resource.UpdateAsync(store, obj, WriteOptionsOf(context), context.RequestAborted));
                    break;
                case "PATCH" when ApplyRequests.IsApply(context.Request):
                    var (status, applied) = await ApplyRequests.ApplyAsync(context, store, resource, ns, name, WriteOptionsOf);
                    await ApiResponses.WriteObjectAsync(context, status, applied);
                    break;
                case "PATCH":
                    await ApiResponses.WriteObjectAsync(context, StatusCodes.Status200OK, await PatchAsync(context, store, resource, @namespace, name));
                    break;
                case "DELETE":
                    var deleted = await resource.DeleteAsync(store, ns, name, WriteOptionsOf(context), context.RequestAborted);
                    if (resource.Kind is "Endpoints" or "Lease")
                    {
                        // kube-apiserver returns the deleted object for pods, services and nodes, a Success Status for endpoints and leases (clients decode it so).
                        await ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, SuccessStatus(resource, deleted));
                        break;
                    }

                    await ApiResponses.WriteObjectAsync(context, StatusCodes.Status200OK, deleted);
                    break;
                default:
                    throw new ApiException(ApiStatus.MethodNotAllowed(context.Request.Method));
            }
        });

    private static Task LegacyWatch(HttpContext context, string? @namespace, string resourceName, string? name) =>
        ApiResponses.Handle(context, InScope(Core(resourceName), @namespace, item: false), name, resource =>
        {
            if (context.Request.Method != "GET")
            {
                throw new ApiException(ApiStatus.MethodNotAllowed(context.Request.Method));
            }

            return WatchApi.StreamAsync(context, context.RequestServices.GetRequiredService<IObjectStore>(), resource, @namespace, name);
        });

    private static async Task ListAsync(HttpContext context, IObjectStore store, KubeResource resource, string? @namespace)
    {
        var filter = ObjectFilter.FromQuery(context.Request.Query, name: null);
        var (items, resourceVersion) = resource.List(store, @namespace);
        var selected = items.Where(filter.Matches).ToList();
        if (TableResponses.IsTableRequested(context.Request))
        {
            await TableResponses.WriteAsync(context, resource, selected, resourceVersion);
            return;
        }

        var list = new JsonObject
        {
            ["kind"] = resource.ListKind,
            ["apiVersion"] = resource.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. selected.Select(o => JsonSerializer.SerializeToNode(o, o.GetType(), KubeJson.Options))]),
        };
        await ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, list);
    }

    /// <summary>
    /// Applies a patch to the live object and writes it back under optimistic concurrency. Like
    /// kube-apiserver, a patch that does not pin a resourceVersion is retried on a conflict.
    /// </summary>
    private static async Task<KubeObject> PatchAsync(HttpContext context, IObjectStore store, KubeResource resource, string? @namespace, string name)
    {
        var manager = ManagedFieldsTracking.ManagerOf(context, "PatchOptions");
        if (context.Request.Query.ContainsKey("force"))
        {
            throw new ApiException(ManagedFieldsTracking.InvalidOptions("PatchOptions", [new FieldError("force", FieldErrorType.Forbidden, "may not be specified for non-apply patch")]));
        }

        var patch = await RequestBody.ReadJsonAsync(context.Request, RequestBody.PatchMediaTypes, context.RequestAborted);
        var mediaType = context.Request.ContentType!.Split(';')[0].Trim().ToLowerInvariant();
        for (var attempt = 1; ; attempt++)
        {
            var live = resource.Get(store, @namespace ?? string.Empty, name) ?? throw new ApiException(ApiStatus.NotFound(resource.Plural, name));
            var liveNode = JsonSerializer.SerializeToNode(live, live.GetType(), KubeJson.Options)!;
            JsonNode? patched;
            try
            {
                patched = ObjectPatcher.Apply(mediaType, resource.Kind, liveNode, patch, context.RequestAborted);
            }
            catch (FormatException e)
            {
                throw new ApiException(ApiStatus.BadRequest($"the patch could not be applied: {e.Message}"));
            }

            if (patched is null)
            {
                throw new ApiException(ApiStatus.BadRequest("the patch removes the whole object"));
            }

            if (JsonNode.DeepEquals(patched, liveNode))
            {
                return live; // A no-op patch writes nothing, so the resourceVersion stays (kubectl prints "(no change)").
            }

            var obj = ManagedFieldsTracking.Track(context, resource, live, RequestBody.Decode(context, patched, resource, patched: true), manager);
            if (obj.Metadata.Name != name || (resource.Namespaced ? obj.Metadata.NamespaceOrDefault != @namespace : !string.IsNullOrEmpty(obj.Metadata.Namespace)))
            {
                throw new ApiException(ApiStatus.BadRequest("metadata.name and metadata.namespace cannot be changed by a patch"));
            }

            var pinned = obj.Metadata.ResourceVersion is not null && obj.Metadata.ResourceVersion != live.Metadata.ResourceVersion;
            try
            {
                return await resource.UpdateAsync(store, obj, WriteOptionsOf(context), context.RequestAborted);
            }
            catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.Conflict && e.Causes.Count == 0 && !pinned && attempt < MaxPatchAttempts)
            {
                // Someone wrote between our read and our write: re-apply the patch to the new state.
            }
        }
    }

    private static JsonObject SuccessStatus(KubeResource resource, KubeObject deleted) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject { ["name"] = deleted.Metadata.Name, ["kind"] = resource.Plural, ["uid"] = deleted.Metadata.Uid },
    };

    /// <summary>The request's namespace on the object; a cluster-scoped object's namespace is cleared, as kube-apiserver does.</summary>
    private static KubeObject WithNamespace(KubeObject obj, string? @namespace)
    {
        if (@namespace is null)
        {
            return obj.Metadata.Namespace is null ? obj : obj with { Metadata = obj.Metadata with { Namespace = null } };
        }

        if (!string.IsNullOrEmpty(obj.Metadata.Namespace) && obj.Metadata.Namespace != @namespace)
        {
            throw new ApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
        }

        return obj with { Metadata = obj.Metadata with { Namespace = @namespace } };
    }

    private static WriteOptions WriteOptionsOf(HttpContext context)
    {
        var dryRun = context.Request.Query["dryRun"];
        return dryRun.Count switch
        {
            0 => new WriteOptions(),
            _ when dryRun.All(v => v == "All") => new WriteOptions { DryRun = true },
            _ => throw new ApiException(ApiStatus.BadRequest($"dryRun: Unsupported value: \"{dryRun}\": supported values: \"All\"")),
        };
    }

    private static bool IsWatch(HttpContext context) => context.Request.Query["watch"].ToString() is "true" or "1";
}

using System.Globalization;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// core/v1 namespaces, read-only: <c>default</c> plus every namespace an object lives in. svcproxy
/// has no namespace lifecycle (objects may be created in any namespace), so these are derived.
/// </summary>
internal static class NamespacesApi
{
    public static readonly IReadOnlyList<TableColumn> Columns =
    [
        new("Name", "string", "name", "Name must be unique within a namespace."),
        new("Status", "string", "", "The status of the namespace"),
        new("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created."),
    ];

    public static void MapNamespacesApi(this IEndpointRouteBuilder app)
    {
        app.Map("/api/v1/namespaces", (HttpContext c) => ReadOnlyApi.Handle(c, () => ListAsync(c)));
        app.Map("/api/v1/namespaces/{name}", (HttpContext c, string name) => ReadOnlyApi.Handle(c, () =>
        {
            var found = Namespaces(c.RequestServices.GetRequiredService<IObjectStore>()).Where(n => n.Name == name).ToList() is [var one]
                ? one
                : throw new ApiException(ApiStatus.NotFound("namespaces", name));
            return ReadOnlyApi.WriteObjectAsync(c, Columns, Row(c, found.Name, found.Created));
        }));
    }

    private static Task ListAsync(HttpContext context)
    {
        if (ReadOnlyApi.IsWatch(context))
        {
            throw new ApiException(ApiStatus.MethodNotAllowed("WATCH"));
        }

        var store = context.RequestServices.GetRequiredService<IObjectStore>();
        var resourceVersion = store.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        var filter = ObjectFilter.FromQuery(context.Request.Query, name: null);
        var rows = Namespaces(store)
            .Select(n => (Meta: new ObjectMeta { Name = n.Name, Namespace = n.Name, Labels = Labels(n.Name) }, n.Created))
            .Where(n => filter.Matches(n.Meta with { Namespace = null }))
            .Select(n => Row(context, n.Meta.Name!, n.Created))
            .ToList();
        return ReadOnlyApi.WriteListAsync(context, "v1", "NamespaceList", Columns, rows, resourceVersion);
    }

    /// <summary>Each namespace with the creation time of its oldest object (default: of the first object, or none).</summary>
    private static IEnumerable<(string Name, DateTimeOffset? Created)> Namespaces(IObjectStore store)
    {
        var objects = store.List<Service>().Items.Cast<KubeObject>()
            .Concat(store.List<Endpoints>().Items)
            .Concat(store.List<Pod>().Items)
            .Concat(store.List<Lease>().Items);
        return objects
            .GroupBy(o => o.Metadata.NamespaceOrDefault, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Min(o => o.Metadata.CreationTimestamp)))
            .Append((ObjectMeta.DefaultNamespace, (DateTimeOffset?)null))
            .DistinctBy(n => n.Item1)
            .OrderBy(n => n.Item1, StringComparer.Ordinal);
    }

    private static TableRow Row(HttpContext context, string name, DateTimeOffset? created) =>
        new([name, "Active", HumanDuration.Since(created, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow())], Json(name, created));

    private static Dictionary<string, string> Labels(string name) => new(StringComparer.Ordinal) { ["kubernetes.io/metadata.name"] = name };

    private static JsonObject Json(string name, DateTimeOffset? created)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = name },
        };
        if (created is { } time)
        {
            metadata["creationTimestamp"] = time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        return new JsonObject
        {
            ["kind"] = "Namespace",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }
}

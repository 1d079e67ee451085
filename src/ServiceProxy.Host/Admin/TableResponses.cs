using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// meta.k8s.io/v1 <c>Table</c> responses (<c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>),
/// which is how kubectl get asks for rows: the server picks the columns, kubectl prints them.
/// </summary>
internal static class TableResponses
{
    public static bool IsTableRequested(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal) && a.Contains("g=meta.k8s.io", StringComparison.Ordinal));

    public static Task WriteAsync(HttpContext context, KubeResource resource, IReadOnlyList<KubeObject> objects, long resourceVersion) =>
        ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, Build(context, resource, objects, resourceVersion, withColumns: true));

    /// <summary>A Table of store objects, with <see cref="ResourceTables"/>' columns and cells.</summary>
    public static JsonObject Build(HttpContext context, KubeResource resource, IEnumerable<KubeObject> objects, long? resourceVersion, bool withColumns)
    {
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        return Build(
            context,
            withColumns ? ResourceTables.Columns(resource.Kind) : [],
            objects.Select(o => new TableRow(ResourceTables.Cells(o, now), JsonSerializer.SerializeToNode(o, o.GetType(), KubeJson.Options)!.AsObject())),
            resourceVersion?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A Table of any rows. Watch events after the first carry no column definitions: kubectl keeps
    /// the last ones it saw, as kube-apiserver expects it to.
    /// </summary>
    public static JsonObject Build(HttpContext context, IReadOnlyList<TableColumn> columns, IEnumerable<TableRow> rows, string? resourceVersion)
    {
        var includeObject = context.Request.Query["includeObject"].ToString();
        var metadata = new JsonObject();
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            })]),
            ["rows"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
            {
                ["cells"] = new JsonArray([.. r.Cells.Select(c => (JsonNode?)JsonValue.Create(c))]),
                ["object"] = RowObject(r.Object, includeObject),
            })]),
        };
    }

    /// <summary><c>includeObject=Metadata</c> (kubectl's default): a PartialObjectMetadata; <c>Object</c>: the whole object.</summary>
    private static JsonNode? RowObject(JsonObject obj, string includeObject) => includeObject switch
    {
        "None" => null,
        "Object" => obj.DeepClone(),
        _ => new JsonObject
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = obj["metadata"]?.DeepClone(),
        },
    };
}

/// <summary>One row: its cells, and the object it shows (as JSON).</summary>
internal sealed record TableRow(IReadOnlyList<string> Cells, JsonObject Object);

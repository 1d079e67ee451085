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

    /// <summary>
    /// One object as a one-row Table (<c>kubectl get svc NAME</c>): the list's columns, wide ones
    /// included, and the object's resourceVersion in the Table's metadata, as kube-apiserver's
    /// table convertor does.
    /// </summary>
    public static Task WriteObjectAsync(HttpContext context, KubeResource resource, KubeObject obj) =>
        ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, Build(context, ResourceTables.Columns(resource.Kind), [Row(context, obj)], obj.Metadata.ResourceVersion));

    /// <summary>A Table of store objects, with <see cref="ResourceTables"/>' columns and cells.</summary>
    public static JsonObject Build(HttpContext context, KubeResource resource, IEnumerable<KubeObject> objects, long? resourceVersion, bool withColumns)
    {
        return Build(
            context,
            withColumns ? ResourceTables.Columns(resource.Kind) : [],
            objects.Select(o => Row(context, o)),
            resourceVersion?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// <c>includeObject</c>: <c>None</c>, <c>Metadata</c> (the default) or <c>Object</c>; anything else
    /// is a 400, as kube-apiserver answers it. Checked before a response (or a watch) starts.
    /// </summary>
    public static string IncludeObject(HttpRequest request)
    {
        var value = request.Query["includeObject"].ToString();
        return value switch
        {
            "" => "Metadata",
            "None" or "Metadata" or "Object" => value,
            _ => throw new ApiException(ApiStatus.BadRequest($"unrecognized includeObject value: \"{value}\"")),
        };
    }

    /// <summary>
    /// A Table of any rows. Watch events after the first carry no column definitions: kubectl keeps
    /// the last ones it saw, as kube-apiserver expects it to.
    /// </summary>
    public static JsonObject Build(HttpContext context, IReadOnlyList<TableColumn> columns, IEnumerable<TableRow> rows, string? resourceVersion)
    {
        var includeObject = IncludeObject(context.Request);
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

    private static TableRow Row(HttpContext context, KubeObject obj) =>
        new(ResourceTables.Cells(obj, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()), JsonSerializer.SerializeToNode(obj, obj.GetType(), KubeJson.Options)!.AsObject());

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

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// meta.k8s.io/v1 <c>Table</c> responses (<c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>),
/// which is how kubectl get asks for rows: the server picks the columns, kubectl prints them.
/// </summary>
internal static class TableResponses
{
    public static bool IsTableRequested(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal) && a.Contains("g=meta.k8s.io", StringComparison.Ordinal));

    public static Task WriteAsync(HttpContext context, KubeResource resource, IReadOnlyList<KubeObject> objects, long resourceVersion)
    {
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var includeObject = context.Request.Query["includeObject"].ToString();
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["columnDefinitions"] = new JsonArray([.. ResourceTables.Columns(resource.Kind).Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            })]),
            ["rows"] = new JsonArray([.. objects.Select(o => (JsonNode)new JsonObject
            {
                ["cells"] = new JsonArray([.. ResourceTables.Cells(o, now).Select(c => (JsonNode?)JsonValue.Create(c))]),
                ["object"] = RowObject(o, includeObject),
            })]),
        };
        return ApiResponses.WriteJsonAsync(context, StatusCodes.Status200OK, table);
    }

    /// <summary><c>includeObject=Metadata</c> (kubectl's default): a PartialObjectMetadata; <c>Object</c>: the whole object.</summary>
    private static JsonNode? RowObject(KubeObject obj, string includeObject) => includeObject switch
    {
        "None" => null,
        "Object" => JsonSerializer.SerializeToNode(obj, obj.GetType(), KubeJson.Options),
        _ => new JsonObject
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = JsonSerializer.SerializeToNode(obj.Metadata, KubeJson.Options),
        },
    };
}

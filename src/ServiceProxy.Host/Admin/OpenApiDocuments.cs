using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// <c>/openapi/v2</c> and <c>/openapi/v3</c> (root and one document per group version), in JSON.
/// kubectl 1.32 reads the v3 documents to decide that the server validates fields itself (the PATCH
/// operation of a kind lists <c>fieldValidation</c>), to compute apply's strategic merge patches
/// (patch merge keys) and for <c>kubectl explain</c>. A client that accepts only protobuf gets a 406,
/// as from a server that does not speak it.
/// </summary>
internal static class OpenApiDocuments
{
    private const string V3Prefix = "#/components/schemas/";
    private const string V2Prefix = "#/definitions/";

    private static readonly Lazy<IReadOnlyDictionary<string, (string Json, string Hash)>> V3 = new(BuildV3);
    private static readonly Lazy<string> V2 = new(() => BuildV2().ToJsonString());

    public static void MapOpenApiDocuments(this IEndpointRouteBuilder app)
    {
        app.MapGet("/openapi/v2", (HttpContext context) => WriteAsync(context, V2.Value, immutable: false));
        app.MapGet("/openapi/v3", (HttpContext context) =>
        {
            var root = new JsonObject
            {
                ["paths"] = new JsonObject([.. V3.Value.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)new JsonObject
                {
                    ["serverRelativeURL"] = $"/openapi/v3/{d.Key}?hash={d.Value.Hash}",
                }))]),
            };
            return WriteAsync(context, root.ToJsonString(), immutable: false);
        });
        app.MapGet("/openapi/v3/{**path}", (HttpContext context, string path) =>
            V3.Value.TryGetValue(path, out var document)
                ? WriteAsync(context, document.Json, immutable: context.Request.Query["hash"] == document.Hash)
                : ApiResponses.WriteStatusAsync(context, ApiStatus.ResourceNotFound()));
    }

    private static async Task WriteAsync(HttpContext context, string json, bool immutable)
    {
        if (!AcceptsJson(context.Request))
        {
            await ApiResponses.WriteStatusAsync(context, ApiStatus.Failure(406, "NotAcceptable", "only the following media types are accepted: application/json"));
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = immutable ? "public, immutable" : "no-cache, private";
        context.Response.Headers.Vary = "Accept";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private static bool AcceptsJson(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        return accept.Length == 0
            || accept.Split(',').Select(a => a.Split(';')[0].Trim()).Any(a => a is "application/json" or "*/*" or "application/*");
    }

    private static Dictionary<string, (string, string)> BuildV3()
    {
        var documents = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var groupVersion in ApiResources.All.Select(r => (r.Group, r.Version)).Distinct())
        {
            var key = groupVersion.Group.Length == 0 ? $"api/{groupVersion.Version}" : $"apis/{groupVersion.Group}/{groupVersion.Version}";
            var schemas = ApiSchemas.Definitions(V3Prefix, v3: true);
            foreach (var (name, schema) in ReadOnlySchemas.Definitions(V3Prefix, v3: true))
            {
                schemas[name] = schema;
            }

            var document = new JsonObject
            {
                ["openapi"] = "3.0.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = DiscoveryApi.KubernetesVersion },
                ["paths"] = OpenApiPaths.Build(groupVersion.Group, groupVersion.Version, V3Prefix, v3: true),
                ["components"] = new JsonObject { ["schemas"] = schemas },
            };
            var json = document.ToJsonString();
            documents[key] = (json, Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(json))));
        }

        return documents;
    }

    private static JsonObject BuildV2()
    {
        var paths = new JsonObject();
        foreach (var groupVersion in ApiResources.All.Select(r => (r.Group, r.Version)).Distinct())
        {
            foreach (var (path, item) in OpenApiPaths.Build(groupVersion.Group, groupVersion.Version, V2Prefix, v3: false).ToList())
            {
                paths[path] = item!.DeepClone();
            }
        }

        var definitions = ApiSchemas.Definitions(V2Prefix, v3: false);
        foreach (var (name, schema) in ReadOnlySchemas.Definitions(V2Prefix, v3: false))
        {
            definitions[name] = schema;
        }

        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = DiscoveryApi.KubernetesVersion },
            ["paths"] = paths,
            ["definitions"] = definitions,
        };
    }
}

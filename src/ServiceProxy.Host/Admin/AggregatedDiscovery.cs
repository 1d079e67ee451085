using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Aggregated discovery (apidiscovery.k8s.io/v2 <c>APIGroupDiscoveryList</c>): every resource of
/// every group version in one response to <c>/api</c> or <c>/apis</c>, which saves kubectl a
/// request per group version. Served only to a client whose Accept names it; the response's
/// Content-Type says which form it got, which is how client-go tells the two apart.
/// </summary>
internal static class AggregatedDiscovery
{
    public const string MediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    public static bool IsRequested(HttpRequest request)
    {
        foreach (var header in request.Headers.Accept)
        {
            if (header is null || !MediaTypeHeaderValue.TryParseList(header.Split(','), out var accepted))
            {
                continue;
            }

            foreach (var media in accepted)
            {
                if (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                    && Parameter(media, "g") == "apidiscovery.k8s.io"
                    && Parameter(media, "v") == "v2"
                    && Parameter(media, "as") == "APIGroupDiscoveryList")
                {
                    return true;
                }
            }
        }

        return false;
    }

    public static async Task WriteAsync(HttpContext context, IReadOnlyList<string> groups)
    {
        var list = new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = new JsonArray([.. groups.Select(g => (JsonNode)Group(g))]),
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = MediaType;
        context.Response.Headers.Vary = "Accept";
        await JsonSerializer.SerializeAsync(context.Response.Body, list, KubeJson.Options, context.RequestAborted);
    }

    private static JsonObject Group(string group)
    {
        var metadata = new JsonObject();
        if (group.Length > 0)
        {
            metadata["name"] = group;
        }

        return new JsonObject
        {
            ["metadata"] = metadata,
            ["versions"] = new JsonArray([.. ApiResources.All.Where(r => r.Group == group).Select(r => r.Version).Distinct().Select(v => (JsonNode)new JsonObject
            {
                ["version"] = v,
                ["resources"] = new JsonArray([.. ApiResources.InGroupVersion(group, v).Select(r => (JsonNode)Resource(r))]),
                ["freshness"] = "Current",
            })]),
        };
    }

    private static JsonObject Resource(ApiResourceInfo r)
    {
        var resource = new JsonObject
        {
            ["resource"] = r.Plural,
            ["responseKind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
            ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = r.Singular,
            ["verbs"] = DiscoveryApi.Strings(r.Verbs),
        };
        if (r.ShortNames.Count > 0)
        {
            resource["shortNames"] = DiscoveryApi.Strings(r.ShortNames);
        }

        if (r.Categories.Count > 0)
        {
            resource["categories"] = DiscoveryApi.Strings(r.Categories);
        }

        return resource;
    }

    private static string? Parameter(MediaTypeHeaderValue media, string name) =>
        media.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value.Value;
}

using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// API discovery (<c>/api</c>, <c>/api/v1</c>, <c>/apis</c>, <c>/apis/{group}[/{version}]</c>) and
/// <c>/version</c>: what kubectl reads before anything else to learn resource names, short names
/// and verbs. <c>/api</c> and <c>/apis</c> answer in the aggregated (apidiscovery.k8s.io/v2) form
/// when the client accepts it, else in the legacy one, as kube-apiserver does.
/// </summary>
internal static class DiscoveryApi
{
    /// <summary>The Kubernetes version this API behaves like; kubectl warns on more than one minor of skew.</summary>
    public const string KubernetesVersion = "v1.32.0";

    public static void MapDiscoveryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api", (HttpContext context) => AggregatedDiscovery.IsRequested(context.Request)
            ? AggregatedDiscovery.WriteAsync(context, [string.Empty])
            : ApiResponses.WriteJsonAsync(context, 200, new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
                {
                    ["clientCIDR"] = "0.0.0.0/0",
                    ["serverAddress"] = context.Request.Host.Value,
                }),
            }));

        app.MapGet("/api/v1", (HttpContext context) => ApiResponses.WriteJsonAsync(context, 200, ResourceList(string.Empty, "v1")));

        app.MapGet("/apis", (HttpContext context) => AggregatedDiscovery.IsRequested(context.Request)
            ? AggregatedDiscovery.WriteAsync(context, ApiResources.NamedGroups)
            : ApiResponses.WriteJsonAsync(context, 200, new JsonObject
            {
                ["kind"] = "APIGroupList",
                ["apiVersion"] = "v1",
                ["groups"] = new JsonArray([.. ApiResources.NamedGroups.Select(g => (JsonNode)Group(g))]),
            }));

        app.MapGet("/apis/{group}", (HttpContext context, string group) => ApiResources.NamedGroups.Contains(group)
            ? ApiResponses.WriteJsonAsync(context, 200, Group(group).Also(g => { g["kind"] = "APIGroup"; g["apiVersion"] = "v1"; }))
            : ApiResponses.WriteStatusAsync(context, ApiStatus.ResourceNotFound()));

        app.MapGet("/apis/{group}/{version}", (HttpContext context, string group, string version) => ApiResources.InGroupVersion(group, version).Any()
            ? ApiResponses.WriteJsonAsync(context, 200, ResourceList(group, version))
            : ApiResponses.WriteStatusAsync(context, ApiStatus.ResourceNotFound()));

        app.MapGet("/version", (HttpContext context) => ApiResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["major"] = "1",
            ["minor"] = "32",
            ["gitVersion"] = $"{KubernetesVersion}+svcproxy-{typeof(DiscoveryApi).Assembly.GetName().Version}",
            ["gitCommit"] = string.Empty,
            ["gitTreeState"] = "clean",
            ["buildDate"] = "1970-01-01T00:00:00Z",
            ["goVersion"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ["compiler"] = "dotnet",
            ["platform"] = $"{OperatingSystem()}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}",
        }));
    }

    private static JsonObject ResourceList(string group, string version) => new()
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
        ["resources"] = new JsonArray([.. ApiResources.InGroupVersion(group, version).Select(r => (JsonNode)new JsonObject
        {
            ["name"] = r.Plural,
            ["singularName"] = r.Singular,
            ["namespaced"] = r.Namespaced,
            ["kind"] = r.Kind,
            ["verbs"] = Strings(r.Verbs),
            ["shortNames"] = r.ShortNames.Count == 0 ? null : Strings(r.ShortNames),
            ["categories"] = r.Categories.Count == 0 ? null : Strings(r.Categories),
        }.WithoutNulls())]),
    };

    private static JsonObject Group(string group)
    {
        var versions = ApiResources.All.Where(r => r.Group == group).Select(r => r.Version).Distinct().ToList();
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v })]),
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    internal static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static JsonObject WithoutNulls(this JsonObject obj)
    {
        foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            obj.Remove(key);
        }

        return obj;
    }

    private static JsonObject Also(this JsonObject obj, Action<JsonObject> change)
    {
        change(obj);
        return obj;
    }

    private static string OperatingSystem() =>
        System.OperatingSystem.IsLinux() ? "linux" : System.OperatingSystem.IsWindows() ? "windows" : System.OperatingSystem.IsMacOS() ? "darwin" : "unknown";
}

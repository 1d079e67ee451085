using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Legacy API discovery (<c>/api</c>, <c>/api/v1</c>, <c>/apis</c>) and <c>/version</c>: what kubectl
/// reads before anything else to learn resource names, short names and verbs.
/// </summary>
internal static class DiscoveryApi
{
    /// <summary>The Kubernetes version this API behaves like; kubectl warns on more than one minor of skew.</summary>
    public const string KubernetesVersion = "v1.32.0";

    private static readonly string[] Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];

    public static void MapDiscoveryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api", (HttpContext context) => ApiResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = "APIVersions",
            ["versions"] = new JsonArray("v1"),
            ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
            {
                ["clientCIDR"] = "0.0.0.0/0",
                ["serverAddress"] = context.Request.Host.Value,
            }),
        }));

        app.MapGet("/api/v1", (HttpContext context) => ApiResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["groupVersion"] = "v1",
            ["resources"] = new JsonArray([.. KubeResource.All.Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Plural,
                ["singularName"] = r.Singular,
                ["namespaced"] = true,
                ["kind"] = r.Kind,
                ["verbs"] = new JsonArray([.. Verbs.Select(v => (JsonNode?)JsonValue.Create(v))]),
                ["shortNames"] = new JsonArray([.. r.ShortNames.Select(s => (JsonNode?)JsonValue.Create(s))]),
            })]),
        }));

        app.MapGet("/apis", (HttpContext context) => ApiResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray(),
        }));

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

    private static string OperatingSystem() =>
        System.OperatingSystem.IsLinux() ? "linux" : System.OperatingSystem.IsWindows() ? "windows" : System.OperatingSystem.IsMacOS() ? "darwin" : "unknown";
}

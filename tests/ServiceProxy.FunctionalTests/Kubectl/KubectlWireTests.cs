using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// The wire details kubectl depends on, checked at the HTTP level: discovery content negotiation,
/// the OpenAPI v3 facts kubectl reads (fieldValidation on PATCH, patch merge keys), and Table watches.
/// </summary>
public sealed class KubectlWireTests : IAsyncLifetime
{
    private const string AggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartAsync([]);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Discovery_is_aggregated_only_for_clients_that_ask()
    {
        var (aggregated, type) = await GetAsync("/api", $"{AggregatedV2},application/json");
        Assert.Equal(AggregatedV2, type);
        Assert.Equal("APIGroupDiscoveryList", aggregated["kind"]!.GetValue<string>());
        var services = aggregated["items"]![0]!["versions"]![0]!["resources"]!.AsArray().Single(r => r!["resource"]!.GetValue<string>() == "services")!;
        Assert.Equal("Namespaced", services["scope"]!.GetValue<string>());
        Assert.Equal(["svc"], services["shortNames"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("Service", services["responseKind"]!["kind"]!.GetValue<string>());

        var (groups, groupsType) = await GetAsync("/apis", $"{AggregatedV2},application/json");
        Assert.Equal(AggregatedV2, groupsType);
        Assert.Equal(["coordination.k8s.io", "discovery.k8s.io", "events.k8s.io"], groups["items"]!.AsArray().Select(g => g!["metadata"]!["name"]!.GetValue<string>()));

        // A client that does not name the aggregated type gets the legacy one, as application/json.
        var (legacy, legacyType) = await GetAsync("/api", "application/json, */*");
        Assert.Equal("application/json", legacyType);
        Assert.Equal("APIVersions", legacy["kind"]!.GetValue<string>());
        Assert.Equal("APIGroupList", (await GetAsync("/apis", "application/json")).Body["kind"]!.GetValue<string>());
        var v1 = (await GetAsync("/api/v1", "application/json")).Body;
        Assert.Equal(["get", "list", "watch"], v1["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "events")!["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task OpenApi_v3_tells_kubectl_the_server_validates_fields_and_how_lists_merge()
    {
        var (root, _) = await GetAsync("/openapi/v3", "application/json");
        var url = root["paths"]!["api/v1"]!["serverRelativeURL"]!.GetValue<string>();
        Assert.StartsWith("/openapi/v3/api/v1?hash=", url, StringComparison.Ordinal);

        var (document, _) = await GetAsync(url, "application/json");
        var patch = document["paths"]!["/api/v1/namespaces/{namespace}/services/{name}"]!["patch"]!;
        Assert.Equal("Service", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation" && p["in"]!.GetValue<string>() == "query");
        Assert.NotNull(patch["requestBody"]!["content"]!["application/strategic-merge-patch+json"]);

        var schemas = document["components"]!["schemas"]!;
        var ports = schemas["io.k8s.api.core.v1.ServiceSpec"]!["properties"]!["ports"]!;
        Assert.Equal(("port", "merge"), (ports["x-kubernetes-patch-merge-key"]!.GetValue<string>(), ports["x-kubernetes-patch-strategy"]!.GetValue<string>()));
        Assert.Equal("name", schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("Service", schemas["io.k8s.api.core.v1.Service"]!["x-kubernetes-group-version-kind"]![0]!["kind"]!.GetValue<string>());

        // v2 is served as JSON; a protobuf-only client is told 406, not sent JSON it cannot read.
        Assert.Equal("2.0", (await GetAsync("/openapi/v2", "application/json")).Body["swagger"]!.GetValue<string>());
        using var protobuf = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        protobuf.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        using var refused = await _host.Http.SendAsync(protobuf);
        Assert.Equal(HttpStatusCode.NotAcceptable, refused.StatusCode);
    }

    [Fact]
    public async Task A_table_watch_sends_columns_once_then_rows()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/services?watch=true&timeoutSeconds=20");
        request.Headers.Accept.ParseAdd("application/json;as=Table;v=v1;g=meta.k8s.io");
        using var response = await _host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        foreach (var name in new[] { "first", "second" })
        {
            using var created = await _host.Http.PostAsync(
                "/api/v1/namespaces/default/services",
                new StringContent($$$"""{"kind":"Service","apiVersion":"v1","metadata":{"name":"{{{name}}}"},"spec":{"ports":[{"port":80}]}}""", Encoding.UTF8, "application/json"),
                timeout.Token);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var first = JsonNode.Parse((await reader.ReadLineAsync(timeout.Token))!)!;
        var second = JsonNode.Parse((await reader.ReadLineAsync(timeout.Token))!)!;
        Assert.Equal(("ADDED", "Table"), (first["type"]!.GetValue<string>(), first["object"]!["kind"]!.GetValue<string>()));
        Assert.Equal(6 + 1, first["object"]!["columnDefinitions"]!.AsArray().Count);
        Assert.Equal("first", first["object"]!["rows"]![0]!["cells"]![0]!.GetValue<string>());
        Assert.Equal("PartialObjectMetadata", first["object"]!["rows"]![0]!["object"]!["kind"]!.GetValue<string>());
        Assert.Empty(second["object"]!["columnDefinitions"]!.AsArray());
        Assert.Equal("second", second["object"]!["rows"]![0]!["cells"]![0]!.GetValue<string>());
    }

    private async Task<(JsonNode Body, string? ContentType)> GetAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // HttpClient re-prints the header with a space after each ';': compare without them.
        return (JsonNode.Parse(await response.Content.ReadAsStringAsync())!, response.Content.Headers.ContentType?.ToString().Replace(" ", string.Empty, StringComparison.Ordinal));
    }
}

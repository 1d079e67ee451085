using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>The admin API of a real svcproxy process: Kubernetes status codes and Status bodies for every error class.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartAsync([]);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Missing_service_is_a_404_Status()
    {
        var (code, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/services/nope");

        Assert.Equal(404, code);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"services"},"code":404}"""),
            body),
            body?.ToJsonString());
    }

    [Fact]
    public async Task Create_returns_201_and_a_second_create_is_409_AlreadyExists()
    {
        var (created, service) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service("dup"));
        Assert.Equal(201, created);
        Assert.Equal("dup", service?["metadata"]?["name"]?.ToString());
        Assert.False(string.IsNullOrEmpty(service?["spec"]?["clusterIP"]?.ToString()));

        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service("dup"));

        Assert.Equal(409, code);
        AssertStatus(body, 409, "AlreadyExists", "services \"dup\" already exists");
        Assert.Equal("dup", body?["details"]?["name"]?.ToString());
    }

    [Fact]
    public async Task Update_with_a_stale_resourceVersion_is_409_Conflict()
    {
        var (_, created) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service("stale"));
        var current = created!.AsObject();
        var changed = (JsonObject)current.DeepClone();
        changed["metadata"]!["labels"] = new JsonObject { ["tier"] = "cache" };
        var (ok, updated) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/services/stale", changed.ToJsonString());
        Assert.Equal(200, ok);
        Assert.NotEqual(current["metadata"]!["resourceVersion"]!.ToString(), updated!["metadata"]!["resourceVersion"]!.ToString());

        var (code, body) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/services/stale", current.ToJsonString());

        Assert.Equal(409, code);
        AssertStatus(body, 409, "Conflict", "Operation cannot be fulfilled on services \"stale\": the object has been modified; please apply your changes to the latest version and try again");
    }

    [Fact]
    public async Task Invalid_patch_is_422_with_causes_and_changes_nothing()
    {
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service("myapp"));

        var (code, body) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/myapp", """{"spec":{"sessionAffinity":"ClusterIP"}}""", "application/strategic-merge-patch+json");

        Assert.Equal(422, code);
        AssertStatus(body, 422, "Invalid", "Service \"myapp\" is invalid: spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"");
        Assert.Equal("Service", body?["details"]?["kind"]?.ToString());
        var cause = Assert.Single(body!["details"]!["causes"]!.AsArray());
        Assert.Equal("FieldValueNotSupported", cause!["reason"]?.ToString());
        Assert.Equal("spec.sessionAffinity", cause["field"]?.ToString());
        Assert.Equal("Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"", cause["message"]?.ToString());

        var (_, after) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/services/myapp");
        Assert.Equal("None", after?["spec"]?["sessionAffinity"]?.ToString());
    }

    [Theory]
    [InlineData("application/json", "{\"kind\":\"Service\",")]
    [InlineData("application/json", "garbage")]
    [InlineData("application/yaml", "kind: Service\nmetadata: [unclosed\n  name: x")]
    [InlineData("application/yaml", "- just\n- a list")]
    public async Task Garbage_bodies_are_400_never_500(string contentType, string body)
    {
        var (code, status) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", body, contentType);

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", status?["reason"]?.ToString());
        Assert.Equal("Status", status?["kind"]?.ToString());
    }

    [Fact]
    public async Task Yaml_bodies_are_accepted()
    {
        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", "apiVersion: v1\nkind: Service\nmetadata:\n  name: fromyaml\nspec:\n  ports:\n  - port: 6379\n", "application/yaml");

        Assert.Equal(201, code);
        Assert.Equal(6379, (int)body!["spec"]!["ports"]![0]!["port"]!);
    }

    [Fact]
    public async Task Unknown_media_type_is_415_and_wrong_method_is_405()
    {
        var (unsupported, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service("x"), "text/plain");
        Assert.Equal(415, unsupported);
        AssertStatus(body, 415, "UnsupportedMediaType", null);

        var (notAllowed, status) = await SendAsync(HttpMethod.Post, "/api/v1/services", Service("x"));
        Assert.Equal(405, notAllowed);
        AssertStatus(status, 405, "MethodNotAllowed", null);
    }

    [Fact]
    public async Task Dry_run_validates_without_storing()
    {
        var (code, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services?dryRun=All", Service("dry"));
        Assert.Equal(201, code);

        var (missing, _) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/services/dry");
        Assert.Equal(404, missing);
    }

    [Fact]
    public async Task List_has_kind_and_resourceVersion_and_delete_returns_the_object()
    {
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/listed/services", Service("one"));

        var (code, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/listed/services");
        Assert.Equal(200, code);
        Assert.Equal("ServiceList", list?["kind"]?.ToString());
        Assert.False(string.IsNullOrEmpty(list?["metadata"]?["resourceVersion"]?.ToString()));
        Assert.Equal("one", Assert.Single(list!["items"]!.AsArray())!["metadata"]!["name"]!.ToString());

        var (deleted, obj) = await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/listed/services/one");
        Assert.Equal(200, deleted);
        Assert.Equal("one", obj?["metadata"]?["name"]?.ToString());
        var (again, _) = await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/listed/services/one");
        Assert.Equal(404, again);
    }

    [Fact]
    public async Task Merge_and_json_patches_apply()
    {
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service("patched"));

        var (merge, merged) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/patched", """{"metadata":{"labels":{"tier":"cache"}}}""", "application/merge-patch+json");
        Assert.Equal(200, merge);
        Assert.Equal("cache", merged?["metadata"]?["labels"]?["tier"]?.ToString());

        var (json, replaced) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/patched", """[{"op":"replace","path":"/spec/sessionAffinity","value":"ClientIP"}]""", "application/json-patch+json");
        Assert.Equal(200, json);
        Assert.Equal("ClientIP", replaced?["spec"]?["sessionAffinity"]?.ToString());
    }

    [Fact]
    public async Task Watch_streams_existing_objects_then_changes()
    {
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/watched/services", Service("first"));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await _host.Http.GetAsync("/api/v1/namespaces/watched/services?watch=true", HttpCompletionOption.ResponseHeadersRead, cancellation.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation.Token));

        var added = JsonNode.Parse((await reader.ReadLineAsync(cancellation.Token))!);
        Assert.Equal("ADDED", added?["type"]?.ToString());
        Assert.Equal("first", added?["object"]?["metadata"]?["name"]?.ToString());

        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/watched/services", Service("second"));
        var next = JsonNode.Parse((await reader.ReadLineAsync(cancellation.Token))!);
        Assert.Equal("ADDED", next?["type"]?.ToString());
        Assert.Equal("second", next?["object"]?["metadata"]?["name"]?.ToString());
        Assert.Equal("Service", next?["object"]?["kind"]?.ToString());
    }

    [Fact]
    public async Task Every_service_answer_carries_a_load_balancer_status()
    {
        const string Empty = """{"loadBalancer":{}}""";
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = await _host.Http.GetAsync("/api/v1/namespaces/status/services?watch=true", HttpCompletionOption.ResponseHeadersRead, cancellation.Token);
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync(cancellation.Token));

        var (_, created) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/services", Service("plain"));
        var (_, dryRun) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/services?dryRun=All", Service("dry"));
        var (_, got) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/status/services/plain");
        var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/status/services");
        var (_, patched) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/status/services/plain", """{"metadata":{"labels":{"a":"b"}}}""", "application/merge-patch+json");
        var replacement = patched!.DeepClone();
        replacement.AsObject().Remove("status");
        var (_, updated) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/status/services/plain", replacement.ToJsonString());
        var (_, deleted) = await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/status/services/plain");

        Assert.All(new[] { created, dryRun, got, list!["items"]![0], patched, updated, deleted }, s => Assert.Equal(Empty, s!["status"]?.ToJsonString()));
        Assert.Equal(Empty, JsonNode.Parse((await reader.ReadLineAsync(cancellation.Token))!)!["object"]!["status"]?.ToJsonString());
    }

    [Fact]
    public async Task Health_version_discovery_and_metrics_answer()
    {
        Assert.Equal("ok", await _host.Http.GetStringAsync("/healthz"));
        Assert.Equal("ok", await _host.Http.GetStringAsync("/readyz"));
        Assert.Equal("1", JsonNode.Parse(await _host.Http.GetStringAsync("/version"))?["major"]?.ToString());
        var resources = JsonNode.Parse(await _host.Http.GetStringAsync("/api/v1"))!["resources"]!.AsArray();
        Assert.Contains(resources, r => r?["name"]?.ToString() == "services" && r["shortNames"]![0]!.ToString() == "svc");
        using var metrics = await _host.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    private static string Service(string name) =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}"},"spec":{"selector":{"app":"{{{name}}}"},"ports":[{"port":80,"targetPort":8080}]}}""";

    private async Task<(int Code, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static void AssertStatus(JsonNode? body, int code, string reason, string? message)
    {
        Assert.NotNull(body);
        Assert.Equal("Status", body["kind"]?.ToString());
        Assert.Equal("v1", body["apiVersion"]?.ToString());
        Assert.Equal("Failure", body["status"]?.ToString());
        Assert.Equal(reason, body["reason"]?.ToString());
        Assert.Equal(code, (int)body["code"]!);
        if (message is not null)
        {
            Assert.Equal(message, body["message"]?.ToString());
        }
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// Patches and bodies that cost the server far more than their size (an exponential JSON patch,
/// 20 000 operations, 300 000 unknown fields, oversized annotations), sent to the real host: each
/// gets kube-apiserver's answer and the canary keeps proxying.
/// </summary>
public sealed class PatchAndMetadataTests : IAsyncLifetime
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(20);

    private CanaryHost _canary = null!;

    public async Task InitializeAsync() => _canary = await CanaryHost.StartAsync();

    public async Task DisposeAsync() => await _canary.DisposeAsync();

    [Fact]
    public async Task A_2_KB_JSON_patch_that_doubles_a_list_forty_times_is_refused_at_the_copy_limit()
    {
        await CreateServiceAsync("doubled");
        var copy = """{"op":"copy","from":"/spec/ports","path":"/spec/ports/-"}""";
        var patch = "[" + string.Join(',', Enumerable.Repeat(copy, 40)) + "]";
        Assert.InRange(patch.Length, 2000, 2600);

        var (code, body, _) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/doubled", patch, "application/json-patch+json");

        Assert.Equal(422, code);
        Assert.Equal("Invalid", body?["reason"]?.ToString());
        Assert.Equal("the server rejected our request due to an error in our request", body?["message"]?.ToString());
        Assert.EndsWith("exceeding the limit 3145728", body?["details"]?["causes"]?[0]?["message"]?.ToString());
        await _canary.AssertServingAsync();
    }

    [Fact]
    public async Task Twenty_thousand_JSON_patch_operations_are_413()
    {
        await CreateServiceAsync("many-ops");
        var test = """{"op":"test","path":"/metadata/name","value":"many-ops"}""";
        var patch = "[" + string.Join(',', Enumerable.Repeat(test, 20_000)) + "]";

        var (code, body, _) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/many-ops", patch, "application/json-patch+json");

        Assert.Equal(413, code);
        Assert.Equal("RequestEntityTooLarge", body?["reason"]?.ToString());
        Assert.Equal("Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 20000", body?["message"]?.ToString());
        await _canary.AssertServingAsync();
    }

    [Fact]
    public async Task Three_hundred_thousand_unknown_fields_under_Warn_are_created_with_a_hundred_warnings_in_bounded_time()
    {
        // Four base-36 characters name 1.6 million fields; 300 000 of them fit in the 3 MiB body limit.
        var body = new StringBuilder("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"unknowns"},"spec":{"ports":[{"port":80}]}""");
        for (var i = 0; i < 300_000; i++)
        {
            body.Append(",\"").Append(Base36(i)).Append("\":0");
        }

        body.Append('}');
        var watch = Stopwatch.StartNew();

        var (code, created, warnings) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services?fieldValidation=Warn", body.ToString());

        Assert.True(watch.Elapsed < Bounded, $"answered after {watch.Elapsed}");
        Assert.Equal(201, code);
        Assert.Equal("unknowns", created?["metadata"]?["name"]?.ToString());
        Assert.Equal(100, warnings.Count);
        Assert.Equal("299 - \"unknown field \\\"0000\\\"\"", warnings[0]);
        await _canary.AssertServingAsync();
    }

    [Fact]
    public async Task An_unknown_field_named_in_any_script_gets_an_ASCII_warning_not_a_500()
    {
        var body = """{"apiVersion":"v1","kind":"Service","metadata":{"name":"cafe"},"spec":{"ports":[{"port":80}],"caf\u00e9\n":1}}""";

        var (code, _, warnings) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", body);

        Assert.Equal(201, code);
        Assert.Equal("299 - \"unknown field \\\"spec.caf\\\\u00e9\\\\n\\\"\"", Assert.Single(warnings));
        await _canary.AssertServingAsync();
    }

    [Fact]
    public async Task Annotations_over_256_KiB_are_422_on_create_and_on_patch()
    {
        var annotations = new JsonObject();
        for (var i = 0; i < 300; i++)
        {
            annotations[$"example.com/a{i:D3}"] = new string('v', 1024);
        }

        var service = JsonNode.Parse(Service("annotated"))!;
        service["metadata"]!["annotations"] = annotations;

        var (created, status, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", service.ToJsonString());

        Assert.Equal(422, created);
        Assert.Equal("Service \"annotated\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes", status?["message"]?.ToString());

        await CreateServiceAsync("patched");
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations.DeepClone() } };
        var (patched, patchStatus, _) = await SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/services/patched", patch.ToJsonString(), "application/merge-patch+json");

        Assert.Equal(422, patched);
        Assert.Equal("Service \"patched\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes", patchStatus?["message"]?.ToString());
        await _canary.AssertServingAsync();
    }

    private static string Base36(int value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        Span<char> name = stackalloc char[4];
        for (var i = 3; i >= 0; i--)
        {
            name[i] = digits[value % 36];
            value /= 36;
        }

        return new string(name);
    }

    private static string Service(string name) =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}"},"spec":{"selector":{"app":"{{{name}}}"},"ports":[{"port":80,"targetPort":8080}]}}""";

    private async Task CreateServiceAsync(string name)
    {
        var (code, body, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", Service(name));
        Assert.True(code == 201, body?.ToJsonString());
    }

    private async Task<(int Code, JsonNode? Body, IReadOnlyList<string> Warnings)> SendAsync(HttpMethod method, string path, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await _canary.Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var warnings = response.Headers.NonValidated.TryGetValues("Warning", out var values) ? values.ToList() : [];
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, warnings);
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// Hostile YAML and JSON against the real host: request bodies, <c>apply -f</c> and <c>run -f --watch</c>.
/// Each is refused with a clear message, and the process stays alive and proxying.
/// </summary>
public sealed class YamlAndJsonBodyTests
{
    private const string Services = "/api/v1/namespaces/default/services";

    /// <summary>A Service whose label value is the hostile part, so a reader without budgets meets it first.</summary>
    public static TheoryData<string, string> HostileYaml => new()
    {
        { "self-alias", "a: &x [*x]\n" },
        { "self-alias-in-object", "apiVersion: v1\nkind: Service\nmetadata:\n  name: selfref\n  labels: &x {a: *x}\nspec:\n  ports:\n  - port: 80\n" },
        { "billion-laughs", BillionLaughs() },
        { "deep-flow-nesting", new string('[', 100_000) + new string(']', 100_000) },
        { "deep-block-nesting", DeepBlockNesting(2_000) },
    };

    [Theory]
    [MemberData(nameof(HostileYaml))]
    public async Task Hostile_yaml_bodies_are_a_400_Status_and_the_canary_keeps_serving(string name, string body)
    {
        Assert.True(Encoding.UTF8.GetByteCount(body) < 3 * 1024 * 1024, name);
        await using var canary = await CanaryHost.StartAsync();

        var (code, status, _) = await SendAsync(canary, HttpMethod.Post, Services, body, "application/yaml");

        AssertBadRequest(code, status, "yaml parse error");
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task Deeply_nested_json_is_a_400_Status()
    {
        await using var canary = await CanaryHost.StartAsync();
        var deep = $$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"deep"},"x":{{new string('[', 100_000)}}{{new string(']', 100_000)}}}""";

        var (code, status, _) = await SendAsync(canary, HttpMethod.Post, Services, deep, "application/json");

        AssertBadRequest(code, status, "maximum configured depth of 64");
        await canary.AssertServingAsync();
    }

    [Theory]
    [InlineData("application/json", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"huge"},"spec":{"ports":[{"port":99999999999999999999}]}}""", "json: cannot unmarshal number 99999999999999999999 into Go struct field ServicePort.spec.ports.port of type int32")]
    [InlineData("application/json", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"huge"},"spec":{"ports":[{"port":1e400}]}}""", "json: cannot unmarshal number 1e400 into Go struct field ServicePort.spec.ports.port of type int32")]
    [InlineData("application/json", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"huge","generation":1e400}}""", "json: cannot unmarshal number 1e400 into Go struct field ObjectMeta.metadata.generation of type int64")]
    [InlineData("application/yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: huge\nspec:\n  ports:\n  - port: 1e400\n", "line 7: unsupported value: 1e400")]
    [InlineData("application/yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: huge\nspec:\n  ports:\n  - port: 99999999999999999999\n", "json: cannot unmarshal number 1E+20 into Go struct field ServicePort.spec.ports.port of type int32")]
    public async Task Huge_numbers_are_a_400_Status_naming_the_field(string contentType, string body, string message)
    {
        await using var canary = await CanaryHost.StartAsync();

        var (code, status, _) = await SendAsync(canary, HttpMethod.Post, Services, body, contentType);

        AssertBadRequest(code, status, message);
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task Duplicate_json_fields_are_refused_in_Strict_mode_and_a_warning_otherwise_with_the_last_value_kept()
    {
        await using var canary = await CanaryHost.StartAsync();
        const string Body = """{"apiVersion":"v1","kind":"Service","metadata":{"name":"first","name":"dup","labels":{"a":"1","a":"2"}},"spec":{"ports":[{"port":80}]}}""";

        var (strict, status, _) = await SendAsync(canary, HttpMethod.Post, Services + "?fieldValidation=Strict", Body, "application/json");
        AssertBadRequest(strict, status, """Service in version "v1" cannot be handled as a Service: strict decoding error: duplicate field "metadata.name", duplicate field "metadata.labels.a" """.TrimEnd());

        var (created, service, warnings) = await SendAsync(canary, HttpMethod.Post, Services, Body, "application/json");
        Assert.Equal(201, created);
        Assert.Equal("dup", service?["metadata"]?["name"]?.ToString());
        Assert.Equal("2", service?["metadata"]?["labels"]?["a"]?.ToString());
        Assert.Equal(["299 - \"duplicate field \\\"metadata.name\\\"\"", "299 - \"duplicate field \\\"metadata.labels.a\\\"\""], warnings);

        var (yaml, yamlStatus, _) = await SendAsync(canary, HttpMethod.Post, Services, "apiVersion: v1\nkind: Service\nkind: Service\n", "application/yaml");
        AssertBadRequest(yaml, yamlStatus, "duplicate field \"kind\"");
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task Invalid_utf8_and_lone_surrogates_are_a_400_Status()
    {
        await using var canary = await CanaryHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, Services) { Content = new ByteArrayContent([.. "{\"a\":\""u8, 0xff, 0xfe, .. "\"}"u8]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await canary.Host.Http.SendAsync(request);
        AssertBadRequest((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()), "not valid UTF-8");

        var (code, status, _) = await SendAsync(canary, HttpMethod.Post, Services, """{"apiVersion":"v1","kind":"Service","metadata":{"name":"\ud800"}}""", "application/json");
        AssertBadRequest(code, status, "json parse error");
        await canary.AssertServingAsync();
    }

    [Theory]
    [MemberData(nameof(HostileYaml))]
    public async Task Apply_with_a_hostile_file_prints_an_error_and_exits_1(string name, string text)
    {
        await using var canary = await CanaryHost.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"svcproxy-{name}-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, text);
        try
        {
            var result = await canary.Host.CliAsync("apply", "-f", file);

            Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
            Assert.StartsWith($"error: error parsing {file}: line ", result.Stderr, StringComparison.Ordinal);
            await canary.AssertServingAsync();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("deep.yaml", ":6 metadata.labels.a[0][0]", "exceeded max depth of 64")]
    [InlineData("bomb.yaml", ":9 l4[7]", "document contains excessive aliasing")]
    [InlineData("selfref.yaml", ":6 metadata.labels.a.a", "unknown anchor 'x' referenced by an alias")]
    public async Task Run_watch_reports_a_hostile_file_by_file_line_and_field_and_keeps_serving(string fileName, string location, string message)
    {
        await using var canary = await CanaryHost.StartAsync(["--watch"]);
        var hostile = fileName switch
        {
            "deep.yaml" => new string('[', 100_000) + new string(']', 100_000),
            "bomb.yaml" => "&a0 [" + string.Join(", ", Enumerable.Repeat("x", 10)) + "]",
            _ => "&x {a: *x}",
        };
        var text = $"apiVersion: v1\nkind: Service\nmetadata:\n  name: hostile\n  labels:\n    a: {hostile}\nspec:\n  ports:\n  - port: 80\n";
        if (fileName == "bomb.yaml")
        {
            text = BillionLaughs() + "\n";
        }

        var path = Path.Combine(canary.ManifestDirectory, fileName);
        File.WriteAllText(path, text);

        var logged = await canary.Host.WaitForOutputAsync(message, TimeSpan.FromSeconds(30));
        Assert.Contains(path + location, logged, StringComparison.Ordinal);
        await canary.AssertServingAsync();
    }

    /// <summary>Ten levels of ten aliases each: 10^10 nodes expanded, under 1 KiB written.</summary>
    private static string BillionLaughs()
    {
        var text = new StringBuilder("apiVersion: v1\nkind: Service\nmetadata:\n  name: lol\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= 10; i++)
        {
            text.Append($"l{i}: &l{i} [").AppendJoin(", ", Enumerable.Repeat($"*l{i - 1}", 10)).Append("]\n");
        }

        return text.ToString();
    }

    private static string DeepBlockNesting(int depth)
    {
        var text = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            text.Append(' ', i).Append("a:\n");
        }

        return text.Append(' ', depth).Append("b\n").ToString();
    }

    private static void AssertBadRequest(int code, JsonNode? status, string message)
    {
        Assert.True(code == 400, $"{code}: {status?.ToJsonString()}");
        Assert.Equal("Status", status?["kind"]?.ToString());
        Assert.Equal("BadRequest", status?["reason"]?.ToString());
        Assert.Contains(message, status?["message"]?.ToString() ?? string.Empty, StringComparison.Ordinal);
    }

    private static async Task<(int Code, JsonNode? Body, string[] Warnings)> SendAsync(CanaryHost canary, HttpMethod method, string path, string body, string contentType)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await canary.Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var warnings = response.Headers.TryGetValues("Warning", out var values) ? values.ToArray() : [];
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), warnings);
    }
}

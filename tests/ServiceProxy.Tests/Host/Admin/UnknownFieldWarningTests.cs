using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.Tests.Host.Admin;

public sealed class UnknownFieldWarningTests
{
    private static readonly KubeResource Services = KubeResource.FromPath("services")!;

    private static JsonObject ServiceWithUnknownFields(int count, Func<int, string>? name = null)
    {
        var spec = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 80 }) };
        for (var i = 0; i < count; i++)
        {
            spec[name?.Invoke(i) ?? $"f{i:D6}"] = i;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = new JsonObject { ["name"] = "s" }, ["spec"] = spec };
    }

    private static DefaultHttpContext Context(string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        return context;
    }

    private static string[] Warnings(HttpContext context) => [.. context.Response.Headers["Warning"].Select(w => w ?? string.Empty)];

    [Fact]
    public void One_warning_per_unknown_field_as_kube_apiserver_words_it()
    {
        var context = Context();

        RequestBody.Decode(context, ServiceWithUnknownFields(2), Services);

        Assert.Equal(["299 - \"unknown field \\\"spec.f000000\\\"\"", "299 - \"unknown field \\\"spec.f000001\\\"\""], Warnings(context));
    }

    [Fact]
    public void Tens_of_thousands_of_unknown_fields_give_the_first_hundred_warnings()
    {
        var context = Context();

        RequestBody.Decode(context, ServiceWithUnknownFields(20_000), Services);

        var warnings = Warnings(context);
        Assert.Equal(100, warnings.Length);
        Assert.Equal("299 - \"unknown field \\\"spec.f000099\\\"\"", warnings[^1]);
    }

    [Fact]
    public void Long_unknown_field_names_are_truncated_once_the_warnings_pass_four_thousand_characters()
    {
        var context = Context();

        RequestBody.Decode(context, ServiceWithUnknownFields(50, i => $"{i:D3}" + new string('x', 1000)), Services);

        var warnings = Warnings(context);
        Assert.InRange(warnings.Sum(w => w.Length), 1, 4096 + 256 + (warnings.Length * 20));
        Assert.All(warnings, w => Assert.True(w.Length <= 256 + 20, w));
        Assert.StartsWith("299 - \"unknown field \\\"spec.000", warnings[0]);
    }

    [Fact]
    public void The_same_warning_is_sent_once_per_request()
    {
        var context = Context();

        RequestBody.Decode(context, ServiceWithUnknownFields(1), Services);
        RequestBody.Decode(context, ServiceWithUnknownFields(1), Services);

        Assert.Single(Warnings(context));
    }

    [Fact]
    public void Unknown_field_names_that_cannot_go_in_a_header_are_escaped()
    {
        var context = Context();

        RequestBody.Decode(context, ServiceWithUnknownFields(1, _ => "caf\u00e9\n\"x\""), Services);

        var warning = Assert.Single(Warnings(context));
        Assert.All(warning, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(
            """
            299 - "unknown field \"spec.caf\\u00e9\\n\\\"x\\\"\""
            """,
            warning);
    }

    [Fact]
    public void Strict_names_at_most_a_hundred_unknown_fields()
    {
        var e = Assert.Throws<ApiException>(() => RequestBody.Decode(Context("?fieldValidation=Strict"), ServiceWithUnknownFields(20_000), Services));

        Assert.Equal(400, e.Status.Code);
        Assert.StartsWith("Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field \"spec.f000000\", ", e.Status.Message);
        Assert.EndsWith("unknown field \"spec.f000099\"", e.Status.Message);
    }

    [Fact]
    public void Finding_unknown_fields_stops_after_the_reported_ones()
    {
        var unknown = UnknownFields.Find(ServiceWithUnknownFields(300_000), Services.ClrType);

        Assert.Equal(100, unknown.Count);
    }
}

using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.Tests.Host.Admin;

public sealed class JsonPatchTests
{
    private static JsonArray Operations(int count, Func<int, JsonObject> operation) => [.. Enumerable.Range(0, count).Select(operation)];

    [Fact]
    public void Operations_apply_in_order()
    {
        var result = JsonPatch.Apply(
            JsonNode.Parse("""{"a":{"b":[1,2]}}"""),
            JsonNode.Parse("""[{"op":"add","path":"/a/b/-","value":3},{"op":"copy","from":"/a/b","path":"/c"},{"op":"move","from":"/a","path":"/d"},{"op":"test","path":"/c/2","value":3}]""")!);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"c":[1,2,3],"d":{"b":[1,2,3]}}"""), result), result?.ToJsonString());
    }

    [Fact]
    public void More_than_ten_thousand_operations_are_refused_as_kube_apiserver_does()
    {
        var patch = Operations(20_000, _ => new JsonObject { ["op"] = "test", ["path"] = "/a", ["value"] = 1 });

        var e = Assert.Throws<ApiException>(() => JsonPatch.Apply(JsonNode.Parse("""{"a":1}"""), patch));

        Assert.Equal(413, e.Status.Code);
        Assert.Equal("RequestEntityTooLarge", e.Status.Reason);
        Assert.Equal("Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 20000", e.Status.Message);
    }

    [Fact]
    public void Ten_thousand_operations_are_fine()
    {
        var patch = Operations(10_000, _ => new JsonObject { ["op"] = "test", ["path"] = "/a", ["value"] = 1 });

        Assert.NotNull(JsonPatch.Apply(JsonNode.Parse("""{"a":1}"""), patch));
    }

    [Fact]
    public void Copies_that_double_the_document_stop_at_the_accumulated_copy_limit()
    {
        // Each copy appends the list to itself: 13 of them turn 1 KiB into 8 MiB, 30 into a terabyte.
        var document = new JsonObject { ["list"] = new JsonArray(JsonValue.Create(new string('x', 1024))) };
        var patch = Operations(13, _ => new JsonObject { ["op"] = "copy", ["from"] = "/list", ["path"] = "/list/-" });

        var e = Assert.Throws<ApiException>(() => JsonPatch.Apply(document, patch));

        Assert.Equal(422, e.Status.Code);
        Assert.Equal("Invalid", e.Status.Reason);
        Assert.Equal("the server rejected our request due to an error in our request", e.Status.Message);
        var cause = Assert.Single(e.Status.Details!.Causes!);
        Assert.StartsWith("Unable to complete the copy, the accumulated size increase of copy is ", cause.Message);
        Assert.EndsWith(", exceeding the limit 3145728", cause.Message);
    }

    [Fact]
    public void Copies_below_the_limit_apply()
    {
        var document = new JsonObject { ["list"] = new JsonArray(JsonValue.Create(new string('x', 1024))) };
        var patch = Operations(10, _ => new JsonObject { ["op"] = "copy", ["from"] = "/list", ["path"] = "/list/-" });

        var result = JsonPatch.Apply(document, patch);

        Assert.Equal(11, result!["list"]!.AsArray().Count);
        Assert.InRange(result.ToJsonString().Length, 1024 * 1024, 1100 * 1024);
    }

    [Fact]
    public void A_cancelled_request_stops_applying()
    {
        var patch = Operations(100, _ => new JsonObject { ["op"] = "test", ["path"] = "/a", ["value"] = 1 });

        Assert.Throws<OperationCanceledException>(() => JsonPatch.Apply(JsonNode.Parse("""{"a":1}"""), patch, new CancellationToken(canceled: true)));
    }
}

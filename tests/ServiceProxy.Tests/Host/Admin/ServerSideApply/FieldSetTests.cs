using System.Text.Json;
using ServiceProxy.Host.Admin.ServerSideApply;

namespace ServiceProxy.Tests.Host.Admin.ServerSideApply;

public sealed class FieldSetTests
{
    private static FieldSet Parse(string json) => FieldSet.FromFieldsV1(JsonDocument.Parse(json).RootElement);

    [Theory]
    [InlineData("""{"f:a":{},"f:b":{"f:c":{}}}""", """{"f:b":{"f:d":{}}}""", """{"f:a":{},"f:b":{"f:c":{},"f:d":{}}}""", """{"f:a":{},"f:b":{"f:c":{}}}""", "{}")]
    [InlineData("""{"f:b":{".":{},"f:c":{}}}""", """{"f:b":{}}""", """{"f:b":{".":{},"f:c":{}}}""", """{"f:b":{"f:c":{}}}""", """{"f:b":{}}""")]
    public void Union_difference_and_intersection(string a, string b, string union, string difference, string intersection)
    {
        Assert.Equal(union, Parse(a).Union(Parse(b)).ToString());
        Assert.Equal(difference, Parse(a).Difference(Parse(b)).ToString());
        Assert.Equal(intersection, Parse(a).Intersection(Parse(b)).ToString());
    }

    [Fact]
    public void Recursive_difference_drops_everything_below_a_member() =>
        Assert.Equal("""{"f:spec":{"f:x":{}}}""", Parse("""{"f:status":{"f:a":{"f:b":{}}},"f:spec":{"f:x":{}}}""").RecursiveDifference(Parse("""{"f:status":{}}""")).ToString());

    [Fact]
    public void FieldsV1_round_trips_in_kubernetes_order()
    {
        const string Fields = """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}},"f:tags":{"v:\"a\"":{}}}}""";
        Assert.Equal(Fields, Parse(Fields).ToString());
        Assert.Equal(5, Parse(Fields).Members().Count());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"x:a":{}}""")]
    [InlineData("""{"f:a":1}""")]
    public void Malformed_FieldsV1_is_refused(string json) => Assert.Throws<FormatException>(() => Parse(json));

    [Fact]
    public void Deep_FieldsV1_is_refused_not_walked()
    {
        var json = string.Concat(Enumerable.Repeat("{\"f:a\":", FieldSet.MaxDepth + 2)) + "{}" + new string('}', FieldSet.MaxDepth + 2);
        Assert.Throws<FormatException>(() => FieldSet.FromFieldsV1(JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 200 }).RootElement));
    }
}

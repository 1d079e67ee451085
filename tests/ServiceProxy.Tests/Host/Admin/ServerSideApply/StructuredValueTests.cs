using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin.ServerSideApply;

namespace ServiceProxy.Tests.Host.Admin.ServerSideApply;

/// <summary>Structured merge on a schema with every list and map type: field sets, comparison, merge, removal.</summary>
public sealed class StructuredValueTests
{
    /// <summary>
    /// items: list-map keyed by name+proto (proto defaults to "TCP"); tags: set; args: atomic list;
    /// labels: granular map; selector: atomic map; inner: struct.
    /// </summary>
    internal static readonly TypeSchema Schema = TypeSchema.Struct(new Dictionary<string, TypeSchema>
    {
        ["items"] = TypeSchema.ListOf(
            TypeSchema.Struct(
                new Dictionary<string, TypeSchema> { ["name"] = TypeSchema.Leaf, ["proto"] = TypeSchema.Leaf, ["value"] = TypeSchema.Leaf },
                defaults: new Dictionary<string, JsonNode> { ["proto"] = JsonValue.Create("TCP") }),
            ListType.Map,
            "name",
            "proto"),
        ["tags"] = TypeSchema.ListOf(TypeSchema.Leaf, ListType.Set),
        ["args"] = TypeSchema.ListOf(TypeSchema.Leaf, ListType.Atomic),
        ["labels"] = TypeSchema.MapOf(TypeSchema.Leaf),
        ["selector"] = TypeSchema.MapOf(TypeSchema.Leaf, atomic: true),
        ["inner"] = TypeSchema.Struct(new Dictionary<string, TypeSchema> { ["a"] = TypeSchema.Leaf, ["b"] = TypeSchema.Leaf }),
    });

    [Theory]
    [InlineData("""{"items":[{"name":"x","value":1}]}""", """{"f:items":{"k:{\"name\":\"x\",\"proto\":\"TCP\"}":{".":{},"f:name":{},"f:value":{}}}}""")]
    [InlineData("""{"items":[{"name":"x","proto":"UDP"}]}""", """{"f:items":{"k:{\"name\":\"x\",\"proto\":\"UDP\"}":{".":{},"f:name":{},"f:proto":{}}}}""")]
    [InlineData("""{"tags":["b","a"]}""", """{"f:tags":{"v:\"a\"":{},"v:\"b\"":{}}}""")]
    [InlineData("""{"args":["b","a"]}""", """{"f:args":{}}""")]
    [InlineData("""{"labels":{"app":"x"}}""", """{"f:labels":{"f:app":{}}}""")]
    [InlineData("""{"selector":{"app":"x"}}""", """{"f:selector":{}}""")]
    [InlineData("""{"inner":{}}""", """{"f:inner":{}}""")]
    [InlineData("""{"inner":{"a":1}}""", """{"f:inner":{"f:a":{}}}""")]
    public void Field_set_names_leaves_items_and_entries(string value, string fieldsV1) =>
        Assert.Equal(fieldsV1, StructuredValue.ToFieldSet(JsonNode.Parse(value), Schema).ToString());

    [Fact]
    public void An_item_without_its_key_or_a_duplicate_key_is_refused()
    {
        Assert.Contains("omits key field \"name\"", Assert.Throws<FormatException>(() => StructuredValue.ToFieldSet(JsonNode.Parse("""{"items":[{"value":1}]}"""), Schema)).Message);
        Assert.Contains("duplicate entries for key [name=\"x\",proto=\"TCP\"]",
            Assert.Throws<FormatException>(() => StructuredValue.ToFieldSet(JsonNode.Parse("""{"items":[{"name":"x"},{"name":"x","proto":"TCP"}]}"""), Schema)).Message);
    }

    [Theory]
    [InlineData("""{"items":[{"name":"a","value":1},{"name":"b","value":2}]}""", """{"items":[{"name":"b","value":3},{"name":"c"}]}""",
        """{"items":[{"name":"a","value":1},{"name":"b","value":3},{"name":"c"}]}""")]
    [InlineData("""{"tags":["a","b"]}""", """{"tags":["c","a"]}""", """{"tags":["c","a","b"]}""")]
    [InlineData("""{"args":["a","b"]}""", """{"args":["c"]}""", """{"args":["c"]}""")]
    [InlineData("""{"labels":{"a":"1"}}""", """{"labels":{"b":"2"}}""", """{"labels":{"a":"1","b":"2"}}""")]
    [InlineData("""{"selector":{"a":"1"}}""", """{"selector":{"b":"2"}}""", """{"selector":{"b":"2"}}""")]
    [InlineData("""{"inner":{"a":1,"b":2}}""", """{"inner":{"a":null}}""", """{"inner":{"b":2}}""")]
    public void Merge_follows_the_list_and_map_types(string live, string config, string merged) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(merged), StructuredValue.Merge(JsonNode.Parse(live), JsonNode.Parse(config), Schema)),
            StructuredValue.Merge(JsonNode.Parse(live), JsonNode.Parse(config), Schema)!.ToJsonString());

    [Fact]
    public void Compare_marks_a_new_container_itself_as_added()
    {
        var comparison = StructuredValue.Compare(
            JsonNode.Parse("""{"items":[{"name":"a","value":1}],"inner":{"a":1}}"""),
            JsonNode.Parse("""{"items":[{"name":"a","value":2},{"name":"b"}],"labels":{"x":"y"}}"""),
            Schema);
        Assert.Equal("""{"f:items":{"k:{\"name\":\"b\",\"proto\":\"TCP\"}":{".":{},"f:name":{}}},"f:labels":{".":{},"f:x":{}}}""", comparison.Added.ToString());
        Assert.Equal("""{"f:items":{"k:{\"name\":\"a\",\"proto\":\"TCP\"}":{"f:value":{}}}}""", comparison.Modified.ToString());
        Assert.Equal("""{"f:inner":{".":{},"f:a":{}}}""", comparison.Removed.ToString());
    }

    [Fact]
    public void Remove_takes_members_and_the_containers_they_empty()
    {
        var remove = FieldSet.FromFieldsV1(System.Text.Json.JsonDocument.Parse("""{"f:items":{"k:{\"name\":\"a\",\"proto\":\"TCP\"}":{}},"f:labels":{"f:x":{}},"f:inner":{"f:a":{}}}""").RootElement);
        var result = StructuredValue.Remove(
            JsonNode.Parse("""{"items":[{"name":"a"},{"name":"b"}],"labels":{"x":"1"},"inner":{"a":1,"b":2}}"""), remove, Schema);
        Assert.Equal("""{"items":[{"name":"b"}],"labels":{},"inner":{"b":2}}""", result!.ToJsonString()); // Top-level objects stay.
    }

    [Fact]
    public void Undeclared_struct_fields_are_dropped_from_a_configuration() =>
        Assert.Equal("""{"inner":{"a":1},"labels":{"any":"x"}}""",
            StructuredValue.WithoutUndeclared(JsonNode.Parse("""{"inner":{"a":1,"zz":2},"nope":1,"labels":{"any":"x"}}"""), Schema)!.ToJsonString());

    [Theory]
    [InlineData(new[] { "f:spec", "f:ports", "k:{\"port\":80,\"protocol\":\"TCP\"}", "f:targetPort" }, ".spec.ports[port=80,protocol=\"TCP\"].targetPort")]
    [InlineData(new[] { "f:metadata", "f:finalizers", "v:\"a\"" }, ".metadata.finalizers[=\"a\"]")]
    [InlineData(new[] { "f:args", "i:2" }, ".args[2]")]
    public void Paths_print_as_structured_merge_diff_prints_them(string[] path, string display) =>
        Assert.Equal(display, PathElement.Display(path));
}

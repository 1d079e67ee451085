using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Manifests;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

/// <summary>
/// <see cref="ManifestReader"/>'s JSON documents (<c>apply -f</c>) and its typed objects (<c>run -f</c>)
/// expand <c>kind: List</c> the same way, at the same positions, and refuse the same malformed Lists.
/// </summary>
public class ManifestReaderTests
{
    private const string Text = """
        apiVersion: v1
        kind: Service
        metadata:
          name: first
        spec:
          ports:
          - port: 80
        ---
        kind: List
        apiVersion: v1
        items:
        - kind: Service
          apiVersion: v1
          metadata:
            name: front
            labels:
              enabled: "yes"
          spec:
            selector: {app: front}
            ports: [{port: 80, targetPort: 8080}]
        - {apiVersion: v1, kind: Pod, metadata: {name: front-0, labels: {app: front}}, spec: {containers: [{name: c, image: c}]}, status: {podIP: 127.0.0.5}}
        """;

    [Fact]
    public void Documents_and_list_items_come_with_their_position_in_both_shapes()
    {
        var documents = ManifestReader.ReadDocuments(Text, "all.yaml");
        var loaded = ManifestReader.LoadText(Text, "all.yaml");

        Assert.True(loaded.Succeeded, string.Join("\n", loaded.Errors));
        Assert.Equal(["first", "front", "front-0"], documents.Select(d => d.Value!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(["all.yaml", "all.yaml", "all.yaml"], documents.Select(d => d.Source));
        Assert.Equal([(0, (int?)null, 1), (1, 0, 12), (1, 1, 21)], documents.Select(d => (d.DocumentIndex, d.ItemIndex, d.Location.Line)));
        Assert.Equal(
            documents.Select(d => (d.DocumentIndex, d.ItemIndex, d.Location.Line)),
            loaded.Objects.Select(o => (o.SourceMap.DocumentIndex, o.SourceMap.ItemIndex, o.SourceMap.Locate(string.Empty).Line)));
        Assert.Equal(JsonValueKind.String, documents[1].Value!["metadata"]!["labels"]!["enabled"]!.GetValueKind());
    }

    [Theory]
    [InlineData("apiVersion: v2\nkind: List\nitems: []\n", 1, "apiVersion: Unsupported value: \"v2\": supported values: \"v1\"")]
    [InlineData("apiVersion: v1\nkind: List\nitems: 5\n", 3, "items: Invalid value: 5: must be a list")]
    [InlineData("apiVersion: v1\nkind: List\nextra: 1\nitems: []\n", 3, "extra: field not declared in schema")]
    public void A_malformed_list_is_refused_by_both_shapes_at_the_same_line(string text, int line, string message)
    {
        var error = Assert.Throws<FormatException>(() => ManifestReader.ReadDocuments(text, "list.yaml"));
        Assert.Equal($"line {line}: {message}", error.Message);

        var loaded = Assert.Single(ManifestReader.LoadText(text, "list.yaml").Errors);
        Assert.Equal($"list.yaml:{line} {message}", loaded.ToString());
    }

    [Fact]
    public void A_list_item_that_is_not_an_object_is_kept_for_the_caller_to_refuse()
    {
        var documents = ManifestReader.ReadDocuments("apiVersion: v1\nkind: List\nitems:\n- just text\n- ~\n");

        Assert.Equal([JsonValueKind.String, JsonValueKind.Null], documents.Select(d => d.Value?.GetValueKind() ?? JsonValueKind.Null));
        Assert.Equal([0, 1], documents.Select(d => d.ItemIndex!.Value));
        Assert.Equal(2, ManifestReader.LoadText("apiVersion: v1\nkind: List\nitems:\n- just text\n- ~\n").Errors.Count);
    }

    [Fact]
    public void A_single_body_keeps_a_list_as_it_is()
    {
        var body = ManifestReader.ParseSingle("apiVersion: v1\nkind: List\nitems:\n- kind: Service\n");

        Assert.Equal("List", body!["kind"]!.GetValue<string>());
        Assert.Single(body["items"]!.AsArray());
        Assert.Null(ManifestReader.ParseSingle("# nothing\n"));
        Assert.Throws<FormatException>(() => ManifestReader.ParseSingle("a: 1\n---\nb: 2\n"));
        Assert.IsType<JsonObject>(ManifestReader.ParseSingle("{\"a\": 1}"));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using ServiceProxy.Host.Serialization;
using ServiceProxy.Kubernetes.Manifests;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

/// <summary>
/// Property tests of the one YAML reader and its JSON converter, on random and mutated texts:
/// only the documented errors, work bounded by the input's size, and JSON → YAML → JSON is identity.
/// </summary>
public class YamlPropertyTests
{
    private const string Sample = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Service
          metadata:
            name: redis
            labels: &labels {app: redis, tier: "backend"}
          spec:
            type: NodePort
            selector: *labels
            sessionAffinity: ClientIP
            ports:
            - {name: tcp, port: 6379, targetPort: 0x18EB, nodePort: 30079}
        - apiVersion: v1
          kind: Endpoints
          metadata: {name: redis}
          subsets:
          - addresses: [{ip: 127.0.0.1}]
            ports: [{port: 6379, protocol: TCP}]
        ---
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}, "status": {"podIP": "127.0.0.2"}}
        """;

    private static readonly string[] Tokens =
    [
        "a", "b", "name", ":", ": ", " ", "  ", "\n", "\n  ", "- ", "-", "[", "]", "{", "}", ",", "&x ", "*x", "&y ", "*y", "!!str ", "!!int ",
        "!!bool ", "!", "'", "\"", "#", "|", ">", "---\n", "...\n", "yes", "on", "1e400", "99999999999999999999", ".inf", "0x1F", "0o17", "~", "null",
        "\t", "? ", "%YAML 1.1\n", "\\", "\u3000", "\u00e9", "\ud800", "\0", "apiVersion: v1\n", "kind: Service\n", "kind: List\nitems:\n", "metadata:\n  name: x\n",
        "spec:\n  ports:\n  - port: ", "<<: *x", "[[[[[[[[", "]]]]]]]]", "{{{{", "\"\\u00e9\"", "\"\\ud800\"",
    ];

    private static readonly Gen<string> RandomText = Gen.OneOf(Tokens).Array[0, 80].Select(string.Concat);

    private static readonly Gen<string> MutatedSample =
        Gen.Select(Gen.Int[0, Sample.Length], Gen.Int[0, 20], Gen.OneOf(Tokens)).Array[1, 6]
            .Select(edits => edits.Aggregate(Sample, (text, edit) =>
            {
                var at = Math.Min(edit.Item1, text.Length);
                var cut = Math.Min(edit.Item2 % 4 == 0 ? edit.Item2 : 0, text.Length - at);
                return text.Remove(at, cut).Insert(at, edit.Item3);
            }));

    private static readonly Gen<string> AnyText = Gen.OneOf(RandomText, MutatedSample, Gen.String);

    [Fact]
    public void The_manifest_loader_returns_objects_or_located_errors_for_any_text()
    {
        var sample = ManifestReader.LoadText(Sample);
        Assert.True(sample.Succeeded, string.Join('\n', sample.Errors));
        AnyText.Sample(text =>
        {
            var result = ManifestReader.LoadText(text, "random.yaml");
            Assert.True(result.Succeeded ? result.Objects.Count >= 0 && result.Errors.Count == 0 : result.Errors.Count > 0 && result.Objects.Count == 0);
            Assert.All(result.Errors, e => Assert.StartsWith("random.yaml", e.ToString(), StringComparison.Ordinal));
        }, iter: 3000);
    }

    [Fact]
    public void Yaml_to_json_throws_only_FormatException_and_stays_within_its_budgets()
    {
        AnyText.Sample(text =>
        {
            IReadOnlyList<JsonNode> documents;
            try
            {
                documents = YamlToJson.ParseDocuments(text);
            }
            catch (FormatException e)
            {
                Assert.StartsWith("line ", e.Message, StringComparison.Ordinal);
                return;
            }

            // What the text may expand to: its own nodes (at most one per character, plus one) and the alias budget.
            var (nodes, depth) = Measure(documents);
            Assert.True(nodes <= (2L * (text.Length + 1)) + YamlTreeReader.MaxAliasNodes, $"{nodes} nodes from {text.Length} characters");
            Assert.True(depth <= YamlTreeReader.MaxDepth, $"depth {depth}");
        }, iter: 3000, print: text => JsonSerializer.Serialize(text));
    }

    [Fact]
    public void Alias_bombs_and_deep_nests_are_refused_by_a_budget_not_by_the_stack()
    {
        var bomb = "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n" + string.Concat(Enumerable.Range(1, 12).Select(i => $"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n"));
        Assert.Contains("excessive aliasing", Assert.Throws<FormatException>(() => YamlToJson.ParseDocuments(bomb)).Message, StringComparison.Ordinal);
        Assert.Contains("unknown anchor", Assert.Throws<FormatException>(() => YamlToJson.ParseDocuments("a: &x [*x]")).Message, StringComparison.Ordinal);

        // YamlDotNet's parser throws InvalidOperationException and ArgumentException here; each must be a syntax error like any other.
        Assert.StartsWith("line ", Assert.Throws<FormatException>(() => YamlToJson.ParseDocuments("...\n  kind: List\nitems:\n")).Message, StringComparison.Ordinal);
        Assert.StartsWith("line ", Assert.Throws<FormatException>(() => YamlToJson.ParseDocuments("ports:\n- !!int]]] {port: 1}\n")).Message, StringComparison.Ordinal);
        Assert.Contains("exceeded max depth of 64", Assert.Throws<FormatException>(() => YamlToJson.ParseDocuments(new string('[', 1_000_000))).Message, StringComparison.Ordinal);

        // An alias that is within the node budget but deeper than the depth budget where it is used.
        var deepAnchor = "a: &d " + new string('[', 40) + new string(']', 40) + "\nb: " + new string('[', 30) + "*d" + new string(']', 30) + "\n";
        Assert.Contains("b" + string.Concat(Enumerable.Repeat("[0]", 30)) + ": exceeded max depth", Assert.Throws<FormatException>(() => YamlToJson.ParseDocuments(deepAnchor)).Message, StringComparison.Ordinal);
        Assert.Single(YamlToJson.ParseDocuments(new string('[', 64) + new string(']', 64)));
    }

    [Fact]
    public void Json_to_yaml_to_json_is_identity()
    {
        Objects.Sample(obj =>
        {
            var yaml = KubeYaml.ToYaml(obj);
            var back = Assert.Single(YamlToJson.ParseDocuments(yaml));
            Assert.True(JsonNode.DeepEquals(obj, back), $"{obj.ToJsonString()}\n{yaml}\n{back.ToJsonString()}");

            // JSON is YAML: the JSON text reads back the same through the YAML reader.
            Assert.True(JsonNode.DeepEquals(obj, Assert.Single(YamlToJson.ParseDocuments(obj.ToJsonString()))));
        }, iter: 2000);
    }

    private static readonly string[] Words =
        ["", " ", "a", "app", "yes", "no", "on", "Off", "y", "N", "~", "null", "true", "1", "-1", "007", "1e3", "1.5", ".inf", ".nan", "0x1F", "0o17", "1_000",
         "a: b", "a #b", "#a", "- a", "-", ":", "a:", "? a", "[a]", "{a}", "*a", "&a", "!a", "|", ">", "'q'", "\"q\"", "%a", "@a", "`a", "a\nb", "a\tb", " lead", "trail ", "é", "日本", "=", "<<", "---", "..."];

    private static readonly Gen<string> Strings = Gen.OneOf(Gen.OneOf(Words), Gen.OneOf(Words).Array[1, 3].Select(string.Concat));

    private static readonly Gen<JsonNode?> Scalars = Gen.OneOf(
        Strings.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i + 0.5)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const<JsonNode?>(() => null));

    private static readonly Gen<JsonObject> Objects = Gen.Recursive<JsonNode?>((depth, self) => depth >= 4
            ? Scalars
            : Gen.Frequency(
                (4, Scalars),
                (1, self.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items))),
                (1, Gen.Select(Strings, self).Array[0, 4].Select(ToObject))))
        .Array[0, 5].Select(items => new JsonObject(items.Select((item, i) => KeyValuePair.Create($"k{i}", item))));

    private static JsonNode? ToObject((string Key, JsonNode? Value)[] entries)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in entries)
        {
            obj[key] = value;
        }

        return obj;
    }

    private static (long Nodes, int Depth) Measure(IEnumerable<JsonNode?> nodes)
    {
        long count = 0;
        var deepest = 0;
        var pending = new Stack<(JsonNode? Node, int Depth)>(nodes.Select(n => (n, 0)));
        while (pending.TryPop(out var item))
        {
            count++;
            switch (item.Node)
            {
                case JsonObject obj:
                    deepest = Math.Max(deepest, item.Depth + 1);
                    foreach (var (_, value) in obj)
                    {
                        pending.Push((value, item.Depth + 1));
                    }

                    break;
                case JsonArray array:
                    deepest = Math.Max(deepest, item.Depth + 1);
                    foreach (var value in array)
                    {
                        pending.Push((value, item.Depth + 1));
                    }

                    break;
            }
        }

        return (count, deepest);
    }
}

using System.Text.Json.Nodes;
using CsCheck;
using ServiceProxy.Host.Admin;
using ServiceProxy.Kubernetes.Registry.Patching;
using ServiceProxy.Tests.Kubernetes.Registry.Patching;

namespace ServiceProxy.Tests.Properties;

/// <summary>Properties of the three patch types kube-apiserver accepts: JSON merge, strategic merge and JSON patch.</summary>
public sealed class PatchProperties
{
    /// <summary>Bytes a patcher may allocate per byte of input (JsonNode trees cost tens of bytes per JSON byte) plus a constant.</summary>
    private const long BytesPerInputByte = 2000;
    private const long ConstantBytes = 256 * 1024;

    private static readonly Gen<string> Key = Gen.OneOf("a", "b", "c", "d");

    private static readonly Gen<JsonNode> Scalar = Gen.OneOf<JsonNode>(
        Gen.Int[-2, 2].Select(i => (JsonNode)JsonValue.Create(i)),
        Gen.String[Gen.Char["xy"], 0, 3].Select(s => (JsonNode)JsonValue.Create(s)),
        Gen.Bool.Select(b => (JsonNode)JsonValue.Create(b)));

    /// <summary>JSON without nulls (a merge patch cannot set a member to null, so round trips need none).</summary>
    private static readonly Gen<JsonNode> Json = Gen.Recursive<JsonNode>((depth, json) =>
        depth >= 4
            ? Scalar
            : Gen.Frequency(
                (3, Scalar),
                (3, Gen.Dictionary(Key, json)[0, 4].Select(d => (JsonNode)new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))))),
                (1, json.Array[0, 3].Select(items => (JsonNode)new JsonArray([.. items])))));

    private static readonly Gen<JsonObject> JsonObjects = Gen.Dictionary(Key, Json)[0, 4]
        .Select(d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))));

    private static long SizeOf(params JsonNode?[] nodes) => nodes.Sum(n => (long)(n?.ToJsonString().Length ?? 4));

    /// <summary>The RFC 7386 patch that turns <paramref name="from"/> into <paramref name="to"/>.</summary>
    private static JsonNode? Diff(JsonNode? from, JsonNode? to)
    {
        if (from is not JsonObject source || to is not JsonObject target)
        {
            return to?.DeepClone();
        }

        var patch = new JsonObject();
        foreach (var (name, _) in source)
        {
            if (!target.ContainsKey(name))
            {
                patch[name] = null;
            }
        }

        foreach (var (name, value) in target)
        {
            if (!source.TryGetPropertyValue(name, out var old) || !JsonNode.DeepEquals(old, value))
            {
                patch[name] = value is JsonObject && old is JsonObject ? Diff(old, value) : value?.DeepClone();
            }
        }

        return patch;
    }

    [Fact]
    public void Json_merge_patch_of_the_diff_gives_the_target() =>
        Gen.Select(JsonObjects, JsonObjects).Sample((from, to) =>
        {
            var patch = Diff(from, to);
            var before = from.ToJsonString();

            var merged = JsonMergePatch.Apply(from, patch);

            Assert.True(JsonNode.DeepEquals(to, merged), $"{from.ToJsonString()} + {patch?.ToJsonString()} = {merged?.ToJsonString()}, not {to.ToJsonString()}");
            Assert.Equal(before, from.ToJsonString());
        });

    [Fact]
    public void Json_merge_patch_work_is_bounded_by_its_input() =>
        Gen.Select(Json, Json).Sample((target, patch) =>
        {
            var allocated = Work.Allocated(() => JsonMergePatch.Apply(target, patch));

            Assert.InRange(allocated, 0, (BytesPerInputByte * SizeOf(target, patch)) + ConstantBytes);
        });

    private static readonly Gen<JsonNode?> PortNumber = Gen.Frequency(
        (8, Gen.Int[1, 4].Select(p => (JsonNode?)JsonValue.Create(p))),
        (1, Gen.Const(() => (JsonNode?)null)),
        (1, Gen.Const(() => (JsonNode?)JsonValue.Create("1"))));

    private static readonly Gen<JsonObject> PortItem = Gen.Select(
        PortNumber,
        Gen.OneOf<string?>("TCP", "UDP", null, null),
        Gen.OneOf<string?>("a", "b", null),
        Gen.Frequency((12, (string?)null), (2, "delete"), (1, "replace"), (1, "merge")),
        (port, protocol, name, directive) =>
        {
            var item = new JsonObject();
            if (port is not null)
            {
                item["port"] = port;
            }

            if (protocol is not null)
            {
                item["protocol"] = protocol;
            }

            if (name is not null)
            {
                item["name"] = name;
            }

            if (directive is not null)
            {
                item["$patch"] = directive;
            }

            return item;
        });

    private static readonly Gen<JsonNode?> ListItem = Gen.Frequency(
        (10, PortItem.Select(p => (JsonNode?)p)),
        (1, Gen.Int[1, 3].Select(i => (JsonNode?)JsonValue.Create(i))),
        (1, Gen.Const(() => (JsonNode?)null)));

    private static readonly Gen<JsonArray> Addresses = Gen.OneOf("192.0.2.1", "192.0.2.2", "192.0.2.3").Array[0, 4]
        .Select(a => new JsonArray([.. a.Select(s => (JsonNode?)JsonValue.Create(s))]));

    private static readonly Gen<JsonObject> ServiceDocument = Gen.Select(
        ListItem.Array[0, 6], Addresses, Gen.Bool,
        (ports, ips, labelled) => new JsonObject
        {
            ["metadata"] = labelled ? new JsonObject { ["labels"] = new JsonObject { ["app"] = "x" } } : new JsonObject(),
            ["spec"] = new JsonObject
            {
                ["ports"] = new JsonArray([.. ports.Select(p => p?.DeepClone())]),
                ["externalIPs"] = ips,
            },
        });

    private static readonly Gen<JsonObject> ServicePatch = Gen.Select(
        ListItem.Array[0, 6], PortNumber.Array[0, 4], Addresses, Gen.Int[0, 7],
        (ports, order, deleted, flags) =>
        {
            var spec = new JsonObject { ["ports"] = new JsonArray([.. ports.Select(p => p?.DeepClone())]) };
            if ((flags & 1) != 0)
            {
                spec["$setElementOrder/ports"] = new JsonArray([.. order.Select(p => (JsonNode?)new JsonObject { ["port"] = p?.DeepClone() })]);
            }

            if ((flags & 2) != 0)
            {
                spec["$deleteFromPrimitiveList/externalIPs"] = deleted;
            }

            if ((flags & 4) != 0)
            {
                spec["$retainKeys"] = new JsonArray("ports", "externalIPs");
            }

            return new JsonObject { ["spec"] = spec };
        });

    [Fact]
    public void Strategic_merge_patch_gives_what_a_scan_of_each_list_gives() =>
        Gen.Select(ServiceDocument, ServicePatch).Sample((original, patch) =>
        {
            var expected = ScanningStrategicMergePatch.Apply(original, patch, "Service");
            var before = original.ToJsonString() + patch.ToJsonString();

            var actual = StrategicMergePatch.Apply(original, patch, "Service");

            Assert.True(
                JsonNode.DeepEquals(expected, actual),
                $"{original.ToJsonString()} + {patch.ToJsonString()}:\n  scan    {expected?.ToJsonString()}\n  indexed {actual?.ToJsonString()}");
            Assert.Equal(before, original.ToJsonString() + patch.ToJsonString());
        }, iter: 2000);

    [Fact]
    public void Strategic_merge_patch_of_any_json_throws_nothing_and_work_is_bounded() =>
        Gen.Select(Json, Json, Gen.OneOf("Service", "Pod", "Endpoints")).Sample((original, patch, kind) =>
        {
            var allocated = Work.Allocated(() => StrategicMergePatch.Apply(original, patch, kind));

            Assert.InRange(allocated, 0, (BytesPerInputByte * SizeOf(original, patch)) + ConstantBytes);
        });

    private static readonly Gen<string> Pointer = Gen.OneOf(
        Gen.OneOf("", "/", "/a", "/a/b", "/a/0", "/a/-", "/b/1", "/c/a", "/a~1b", "/x/y/z", "a", "/0"),
        Key.Array[1, 3].Select(k => "/" + string.Join('/', k)));

    private static readonly Gen<JsonObject> Operation = Gen.Select(
        Gen.OneOf("add", "remove", "replace", "move", "copy", "test", "bogus"),
        Pointer,
        Pointer,
        Json,
        Gen.Int[0, 15],
        (op, path, from, value, omit) =>
        {
            var operation = new JsonObject();
            if ((omit & 1) == 0)
            {
                operation["op"] = op;
            }

            if ((omit & 2) == 0)
            {
                operation["path"] = path;
            }

            if ((omit & 4) == 0)
            {
                operation["from"] = from;
            }

            if ((omit & 8) == 0)
            {
                operation["value"] = value;
            }

            return operation;
        });

    [Fact]
    public void Json_patch_fails_only_as_documented_and_work_is_bounded() =>
        Gen.Select(JsonObjects, Operation.Array[0, 12]).Sample((document, operations) =>
        {
            var patch = new JsonArray([.. operations]);

            var allocated = Work.Allocated(() =>
            {
                try
                {
                    JsonPatch.Apply(document, patch);
                }
                catch (FormatException)
                {
                    // A malformed operation, a missing path or a failed test: the documented 400.
                }
            });

            Assert.InRange(allocated, 0, (BytesPerInputByte * SizeOf(document, patch)) + ConstantBytes);
        });

    [Fact]
    public void Json_patch_copies_cannot_grow_a_document_past_the_copy_limit() =>
        Gen.Select(Gen.Int[1, 4096], Gen.Int[1, 40]).Sample((size, doublings) =>
        {
            var document = new JsonObject { ["list"] = new JsonArray(JsonValue.Create(new string('x', size))) };
            var patch = new JsonArray([.. Enumerable.Range(0, doublings).Select(_ => (JsonNode?)new JsonObject { ["op"] = "copy", ["from"] = "/list", ["path"] = "/list/-" })]);

            var allocated = Work.AllocatedAllowing<ApiException>(() => JsonPatch.Apply(document, patch));

            // Whatever the number of doublings, the copies add at most 3 MiB, so the work stays near it.
            Assert.InRange(allocated, 0, (BytesPerInputByte * SizeOf(document, patch)) + (40 * JsonPatch.MaxCopyBytes));
        }, iter: 40);
}

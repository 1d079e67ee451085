using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using ServiceProxy.Host.Admin.ServerSideApply;

namespace ServiceProxy.Tests.Properties;

/// <summary>Properties of server-side apply on Services: applying is idempotent, and what an applier drops goes.</summary>
public sealed class ServerSideApplyProperties
{
    private static readonly FieldManager Manager = new(OpenApiTypeSchemas.Served.ForKind("Service"));
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly Gen<JsonObject> Labels = Gen.Dictionary(Gen.OneOf("app", "tier", "team", "env"), Gen.OneOf("a", "b"))[0, 4]
        .Select(d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))));

    private static readonly Gen<JsonArray> Ports = Gen.Select(Gen.Int[1, 6], Gen.OneOf("TCP", "UDP", null), Gen.Int[0, 3])
        .Array[0, 4]
        .Select(ports => new JsonArray([
            .. ports.DistinctBy(p => (p.Item1, p.Item2 ?? "TCP")).Select(p =>
            {
                var port = new JsonObject { ["port"] = 1000 + p.Item1 };
                if (p.Item2 is not null)
                {
                    port["protocol"] = p.Item2;
                }

                if (p.Item3 > 0)
                {
                    port["targetPort"] = 8000 + p.Item3;
                }

                return (JsonNode)port;
            }),
        ]));

    private static readonly Gen<JsonObject> Configs = Gen.Select(Labels, Ports, Gen.Bool, Gen.OneOf("None", "ClientIP", null)).Select((labels, ports, selector, affinity) =>
    {
        var spec = new JsonObject { ["ports"] = ports };
        if (selector)
        {
            spec["selector"] = new JsonObject { ["app"] = "web" };
        }

        if (affinity is not null)
        {
            spec["sessionAffinity"] = affinity;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = "web", ["labels"] = labels },
            ["spec"] = spec,
        };
    });

    [Fact]
    public void Applying_the_same_configuration_twice_is_a_no_op() =>
        Gen.Select(Configs, Configs).Sample((before, config) =>
        {
            var (live, entries) = Manager.Apply(null, null, before, "a", false, T0);
            var (once, onceEntries) = Manager.Apply(live, entries, config, "a", false, T0.AddSeconds(1));
            var (twice, twiceEntries) = Manager.Apply(once, onceEntries, config, "a", false, T0.AddSeconds(2));
            return JsonNode.DeepEquals(once, twice) && JsonSerializer.Serialize(onceEntries) == JsonSerializer.Serialize(twiceEntries);
        });

    [Fact]
    public void Applying_a_configuration_then_one_without_a_field_removes_it() =>
        Gen.Select(Configs.Where(c => c["metadata"]!["labels"]!.AsObject().Count > 0 || c["spec"]!["ports"]!.AsArray().Count > 0), Gen.Int[0, 100])
            .Sample((config, which) =>
            {
                var (live, entries) = Manager.Apply(null, null, config, "a", false, T0);
                var smaller = config.DeepClone().AsObject();
                var labels = smaller["metadata"]!["labels"]!.AsObject();
                var ports = smaller["spec"]!["ports"]!.AsArray();
                Func<JsonObject, bool> gone;
                if (labels.Count > 0 && (which % 2 == 0 || ports.Count == 0))
                {
                    var label = labels.ElementAt(which % labels.Count).Key;
                    labels.Remove(label);
                    gone = o => o["metadata"]?["labels"]?[label] is null;
                }
                else
                {
                    var port = ports[which % ports.Count]!.AsObject();
                    var key = (port["port"]!.GetValue<int>(), port["protocol"]?.GetValue<string>() ?? "TCP");
                    ports.RemoveAt(which % ports.Count);
                    gone = o => o["spec"]?["ports"] is not JsonArray left
                        || !left.Any(p => (p!["port"]!.GetValue<int>(), p["protocol"]?.GetValue<string>() ?? "TCP") == key);
                }

                var (after, _) = Manager.Apply(live, entries, smaller, "a", false, T0.AddSeconds(1));
                return gone(after);
            });
}

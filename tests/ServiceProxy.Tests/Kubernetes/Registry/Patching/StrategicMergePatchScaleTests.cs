using System.Diagnostics;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Registry.Patching;

namespace ServiceProxy.Tests.Kubernetes.Registry.Patching;

public sealed class StrategicMergePatchScaleTests
{
    private static JsonObject Ports(IEnumerable<int> ports, Func<int, JsonObject> item) =>
        new() { ["spec"] = new JsonObject { ["ports"] = new JsonArray([.. ports.Select(item)]) } };

    [Fact]
    public void Merging_thirty_thousand_keyed_items_is_linear()
    {
        // Matching each patch item by a scan of the list is 4.5e8 comparisons here: minutes, not milliseconds.
        const int count = 30_000;
        var original = Ports(Enumerable.Range(1, count), p => new JsonObject { ["port"] = p, ["name"] = $"p{p}" });
        var patch = Ports(Enumerable.Range(1, count).Reverse(), p => new JsonObject { ["port"] = p, ["targetPort"] = p + 1 });

        var watch = Stopwatch.StartNew();
        var result = StrategicMergePatch.Apply(original, patch, "Service");
        watch.Stop();

        var ports = result!["spec"]!["ports"]!.AsArray();
        Assert.Equal(count, ports.Count);
        Assert.Equal(1, (int)ports[0]!["port"]!);
        Assert.Equal(2, (int)ports[0]!["targetPort"]!);
        Assert.Equal("p1", (string)ports[0]!["name"]!);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_cancelled_request_stops_merging()
    {
        var original = Ports(Enumerable.Range(1, 10), p => new JsonObject { ["port"] = p });
        var patch = Ports(Enumerable.Range(1, 10), p => new JsonObject { ["port"] = p, ["name"] = "x" });

        Assert.Throws<OperationCanceledException>(() => StrategicMergePatch.Apply(original, patch, "Service", new CancellationToken(canceled: true)));
    }
}

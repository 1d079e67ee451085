using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>The watch history keeps whole objects, so its bound must be in bytes as well as in events.</summary>
public sealed class WatchHistorySizeTests
{
    [Fact]
    public async Task Big_objects_do_not_pin_a_thousand_events_of_history()
    {
        // 1000 updates of a Service carrying 200 KiB of annotations (each under the 256 KiB limit)
        // would keep 200 MB alive in a history bounded by count only.
        var store = Store();
        var annotation = new string('v', 200 * 1024);
        var service = await store.CreateAsync(Service("big"));
        for (var i = 0; i < 1000; i++)
        {
            service = await store.UpdateAsync(service with
            {
                Metadata = service.Metadata with { Annotations = new Dictionary<string, string> { ["example.com/blob"] = annotation + i } },
            });
        }

        var gone = Assert.Throws<ObjectStoreException>(() => store.WatchAsync(null, null, 1, CancellationToken.None));
        Assert.Equal(StoreErrorReason.Gone, gone.Reason);
        var oldest = long.Parse(gone.Message[(gone.Message.LastIndexOf('(') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
        var kept = store.ResourceVersion - oldest + 1;
        Assert.InRange(kept * 200 * 1024, 1, 64L * 1024 * 1024);
        Assert.InRange(kept, 100, 1000);
    }

    [Fact]
    public async Task Small_objects_keep_the_whole_history()
    {
        var store = Store(configure: o => o.WatchHistorySize = 50);
        for (var i = 0; i < 50; i++)
        {
            await store.CreateAsync(Service($"s{i}"));
        }

        Assert.NotNull(store.WatchAsync(null, null, 0, CancellationToken.None));
    }
}

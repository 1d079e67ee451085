using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>
/// Each watcher's buffer holds whole objects, so a watcher that stops reading must be ended once it
/// holds too many bytes, not only too many events, and what it held must be let go at once.
/// </summary>
public sealed class WatchBufferSizeTests
{
    private const int Kib = 1024;

    private static readonly string Blob = new('v', 200 * Kib);

    // Bounds each test; generous because writing 60 MB of updates is slow on a loaded 2-core machine.
    private static CancellationTokenSource Timeout() => new(TimeSpan.FromSeconds(60));

    private static Service WithBlob(Service service, int i) => service with
    {
        Metadata = service.Metadata with { Annotations = new Dictionary<string, string> { ["example.com/blob"] = Blob + i } },
    };

    [Fact]
    public async Task A_watcher_that_does_not_read_big_objects_is_ended_with_gone_and_holds_none_of_them()
    {
        // 300 events of 200 KiB are 60 MB, far under the 1000-event bound and far over the byte bound.
        using var cts = Timeout();
        var store = Store(configure: o => o.WatchBufferMaxBytes = 4L * 1024 * 1024);
        var service = await store.CreateAsync(Service("big"));
        var watch = store.WatchAsync(null, null, 0, cts.Token);

        for (var i = 0; i < 300; i++)
        {
            service = await store.UpdateAsync(WithBlob(service, i));
        }

        Assert.Equal(0, ((InMemoryObjectStore)store).WatcherCount);
        await WatchAssert.EndedWithGoneAndNothingDeliveredAsync(watch, cts.Token);
    }

    [Fact]
    public async Task A_watcher_that_keeps_up_is_not_ended_however_many_bytes_pass_through()
    {
        using var cts = Timeout();
        var store = Store(configure: o => o.WatchBufferMaxBytes = 1024 * 1024);
        var service = await store.CreateAsync(Service("big"));
        await using var watch = store.WatchAsync(null, null, 0, cts.Token).GetAsyncEnumerator(cts.Token);

        // 100 events of 200 KiB, each read before the next is written: 20 MB through a 1 MiB buffer.
        for (var i = 0; i < 100; i++)
        {
            service = await store.UpdateAsync(WithBlob(service, i));
            Assert.True(await watch.MoveNextAsync());
            Assert.Equal(store.ResourceVersion, watch.Current.ResourceVersion);
        }

        Assert.Equal(1, ((InMemoryObjectStore)store).WatcherCount);
    }

    [Fact]
    public async Task One_event_bigger_than_the_byte_bound_still_reaches_a_watcher_that_is_caught_up()
    {
        using var cts = Timeout();
        var store = Store(configure: o => o.WatchBufferMaxBytes = 64 * Kib);
        var service = await store.CreateAsync(Service("big"));
        await using var watch = store.WatchAsync(null, null, 0, cts.Token).GetAsyncEnumerator(cts.Token);

        service = await store.UpdateAsync(WithBlob(service, 0));

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(service.Metadata.ResourceVersion, watch.Current.Object.Metadata.ResourceVersion);
        Assert.Equal(1, ((InMemoryObjectStore)store).WatcherCount);
    }

    [Fact]
    public async Task The_default_byte_bound_ends_a_stalled_watcher_long_before_a_thousand_big_events()
    {
        var store = Store();
        var service = await store.CreateAsync(Service("big"));
        _ = store.WatchAsync(null, null, 0, CancellationToken.None);

        var written = 0;
        while (((InMemoryObjectStore)store).WatcherCount > 0 && written < 1000)
        {
            service = await store.UpdateAsync(WithBlob(service, written++));
        }

        // 8 MiB of 200 KiB events: the watcher is ended at the 41st.
        Assert.InRange(written, 30, 50);
    }
}

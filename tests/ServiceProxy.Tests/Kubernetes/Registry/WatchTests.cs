using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class WatchTests
{
    private static CancellationTokenSource Timeout() => new(TimeSpan.FromSeconds(10));

    private static async Task<List<WatchEvent>> Take(IAsyncEnumerable<WatchEvent> watch, int count, CancellationToken cancellationToken)
    {
        var events = new List<WatchEvent>();
        await foreach (var watchEvent in watch.WithCancellation(cancellationToken))
        {
            events.Add(watchEvent);
            if (events.Count == count)
            {
                break;
            }
        }

        return events;
    }

    [Fact]
    public async Task Watch_from_now_sees_later_events_of_every_kind_and_namespace_in_order()
    {
        using var cts = Timeout();
        var store = Store();
        await store.CreateAsync(Service("before"));
        var watch = store.WatchAsync(null, null, 0, cts.Token);

        var service = await store.CreateAsync(Service("a"));
        await store.CreateAsync(Pod("p", "10.0.0.1").In("other"));
        await store.UpdateAsync(service with { Spec = service.Spec with { SessionAffinity = SessionAffinities.ClientIP } });
        await store.CreateAsync(new Endpoints { Metadata = new ObjectMeta { Name = "a" } });
        await store.DeleteAsync<Pod>("other", "p");

        var events = await Take(watch, 5, cts.Token);

        Assert.Equal([2L, 3L, 4L, 5L, 6L], events.Select(e => e.ResourceVersion));
        Assert.Equal(
            [WatchEventType.Added, WatchEventType.Added, WatchEventType.Modified, WatchEventType.Added, WatchEventType.Deleted],
            events.Select(e => e.Type));
        Assert.Equal(["Service", "Pod", "Service", "Endpoints", "Pod"], events.Select(e => e.Object.Kind));
        Assert.All(events, e => Assert.Equal(e.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Object.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task Watch_filters_by_kind_and_namespace()
    {
        using var cts = Timeout();
        var store = Store();
        var watch = store.WatchAsync("Service", "prod", 0, cts.Token);

        await store.CreateAsync(Service("a"));
        await store.CreateAsync(Pod("p", "10.0.0.1").In("prod"));
        await store.CreateAsync(Service("b").In("prod"));
        await store.CreateAsync(Service("c").In("prod"));

        var events = await Take(watch, 2, cts.Token);

        Assert.Equal(["prod/b", "prod/c"], events.Select(e => e.Object.Key));
    }

    [Fact]
    public async Task Watch_from_a_version_replays_what_followed_it_then_continues_live()
    {
        using var cts = Timeout();
        var store = Store();
        for (var i = 0; i < 5; i++)
        {
            await store.CreateAsync(Service($"s{i}"));
        }

        var watch = store.WatchAsync("Service", null, 2, cts.Token);
        await store.CreateAsync(Service("live"));

        var events = await Take(watch, 4, cts.Token);

        Assert.Equal([3L, 4L, 5L, 6L], events.Select(e => e.ResourceVersion));
        Assert.Equal("default/live", events[^1].Object.Key);
    }

    [Fact]
    public async Task Watch_from_a_version_older_than_the_history_is_gone()
    {
        var store = Store(configure: o => o.WatchHistorySize = 3);
        for (var i = 0; i < 6; i++)
        {
            await store.CreateAsync(Service($"s{i}"));
        }

        var error = Assert.Throws<ObjectStoreException>(() => store.WatchAsync(null, null, 2, CancellationToken.None));
        Assert.Equal(StoreErrorReason.Gone, error.Reason);
        Assert.Equal("too old resource version: 2 (4)", error.Message);

        // The oldest kept event is 4, so resuming after 3 is still complete.
        Assert.NotNull(store.WatchAsync(null, null, 3, CancellationToken.None));
    }

    [Fact]
    public async Task Many_concurrent_writes_reach_every_watcher_once_in_order()
    {
        using var cts = Timeout();
        var store = Store(configure: o => o.WatchBufferSize = 1000);
        var first = store.WatchAsync(null, null, 0, cts.Token);
        var second = store.WatchAsync("Pod", null, 0, cts.Token);
        var reading = Task.WhenAll(Take(first, 400, cts.Token), Take(second, 400, cts.Token));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await store.CreateAsync(Pod($"p-{w}-{i}", "10.0.0.1"));
            }
        })));
        var results = await reading;

        foreach (var events in results)
        {
            Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), events.Select(e => e.ResourceVersion));
        }
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_is_ended_with_gone_without_blocking_writers()
    {
        using var cts = Timeout();
        var store = Store(configure: o => o.WatchBufferSize = 4);
        var watch = store.WatchAsync(null, null, 0, cts.Token);

        for (var i = 0; i < 10; i++)
        {
            await store.CreateAsync(Pod($"p{i}", "10.0.0.1"));
        }

        Assert.Equal(10, store.ResourceVersion);
        Assert.Equal(0, ((InMemoryObjectStore)store).WatcherCount);
        // The four it had buffered were dropped when it was ended: the client relists instead.
        await WatchAssert.EndedWithGoneAndNothingDeliveredAsync(watch, cts.Token);
    }

    [Fact]
    public async Task Cancelling_a_watch_ends_it_and_unregisters_it()
    {
        var store = Store();
        using var cts = new CancellationTokenSource();
        var watch = store.WatchAsync(null, null, 0, cts.Token);
        var reading = Take(watch, 1, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        Assert.Equal(0, ((InMemoryObjectStore)store).WatcherCount);
    }
}

using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Events;

/// <summary>The recorder's correlation (repeats, similar events, spam), its bounds and the store's expiry, on a fake clock.</summary>
public sealed class EventRecorderTests : IDisposable
{
    private static readonly ObjectReference Web = new() { Kind = "Service", ApiVersion = "v1", Namespace = "default", Name = "web", Uid = "u-1" };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly EventOptions _options = new() { Host = "node-1" };
    private EventStore? _store;
    private EventRecorder? _recorder;

    private EventStore Store => _store ??= new EventStore(_options, _time);

    private EventRecorder Recorder => _recorder ??= new EventRecorder(_options, Store, time: _time, run: false);

    public void Dispose()
    {
        _recorder?.Dispose();
        _store?.Dispose();
    }

    private void Record(string reason, string message, string type = Event.Warning) => Recorder.Record(Web, "svcproxy-proxy", type, reason, message);

    [Fact]
    public void A_repeated_event_is_one_event_with_a_count_and_its_first_and_last_times()
    {
        Record("FailedListen", "port http/TCP: cannot listen");
        Recorder.ProcessQueued();
        _time.Advance(TimeSpan.FromSeconds(30));
        Record("FailedListen", "port http/TCP: cannot listen");
        Recorder.ProcessQueued();

        var e = Assert.Single(Store.List().Items);
        Assert.Equal(2, e.Count);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(30), e.FirstTimestamp);
        Assert.Equal(_time.GetUtcNow(), e.LastTimestamp);
        Assert.StartsWith("web.", e.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("default", e.Metadata.Namespace);
        Assert.Equal("svcproxy-proxy", e.Source!.Component);
        Assert.Equal("node-1", e.Source.Host);
        Assert.Equal("u-1", e.InvolvedObject.Uid);
    }

    [Fact]
    public void Ten_similar_events_with_different_messages_are_combined()
    {
        for (var i = 0; i < 12; i++)
        {
            Record("EndpointEjected", $"endpoint 10.0.0.{i}:80 ejected");
        }

        Recorder.ProcessQueued();
        var events = Store.List().Items;
        Assert.Equal(10, events.Count); // nine on their own, then one combined event counted three times
        var combined = Assert.Single(events, e => e.Message!.StartsWith(EventCorrelator.CombinedPrefix, StringComparison.Ordinal));
        Assert.Equal(3, combined.Count);
        Assert.Equal(EventCorrelator.CombinedPrefix + "endpoint 10.0.0.11:80 ejected", combined.Message);
    }

    [Fact]
    public void A_source_and_object_past_the_burst_is_rate_limited_then_earns_a_token_per_interval()
    {
        for (var i = 0; i < 30; i++)
        {
            Record("FailedListen", "same message");
        }

        Recorder.ProcessQueued();
        Assert.Equal(_options.Burst, Assert.Single(Store.List().Items).Count);

        _time.Advance(_options.RefillInterval);
        Record("FailedListen", "same message");
        Record("FailedListen", "same message");
        Recorder.ProcessQueued();

        // client-go's logger counts every observation, the filter decides which are written.
        Assert.Equal(_options.Burst + 6, Assert.Single(Store.List().Items).Count);
    }

    [Fact]
    public async Task Events_expire_their_ttl_after_they_were_last_recorded_and_watchers_see_them_deleted()
    {
        Record("FailedListen", "x");
        Recorder.ProcessQueued();
        var version = Store.ResourceVersion;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = Store.WatchAsync(null, version, cancel.Token).GetAsyncEnumerator(cancel.Token);

        _time.Advance(_options.Ttl - TimeSpan.FromMinutes(1));
        Record("FailedListen", "x");
        Recorder.ProcessQueued();
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(WatchEventType.Modified, watch.Current.Type);

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Single(Store.List().Items);
        _time.Advance(_options.Ttl);
        Assert.Empty(Store.List().Items);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(WatchEventType.Deleted, watch.Current.Type);
    }

    [Fact]
    public void The_store_keeps_at_most_max_events_and_lets_the_least_recently_recorded_go()
    {
        _options.MaxEvents = 3;
        for (var i = 0; i < 5; i++)
        {
            Recorder.Record(Web with { Name = $"web-{i}" }, "c", Event.Normal, "R", "m");
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Recorder.ProcessQueued();
        Assert.Equal(["web-2", "web-3", "web-4"], Store.List().Items.Select(e => e.InvolvedObject.Name!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Recording_never_blocks_a_full_queue_drops_and_counts()
    {
        _options.QueueCapacity = 4;
        for (var i = 0; i < 10; i++)
        {
            Recorder.Record(Web with { Name = $"web-{i}" }, "c", Event.Normal, "R", "m");
        }

        Assert.Equal(6, Store.Dropped);
        Assert.Equal(4, Recorder.ProcessQueued());
    }

    [Fact]
    public void A_watch_from_a_version_older_than_the_history_is_gone()
    {
        for (var i = 0; i < EventStore.HistorySize + 5; i++)
        {
            Recorder.Record(Web with { Name = $"web-{i}" }, "c", Event.Normal, "R", "m");
            Recorder.ProcessQueued();
        }

        var e = Assert.Throws<ObjectStoreException>(() => Store.WatchAsync(null, 1, CancellationToken.None));
        Assert.Equal(StoreErrorReason.Gone, e.Reason);
    }
}

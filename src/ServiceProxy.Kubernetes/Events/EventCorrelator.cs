using System.Globalization;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// client-go's EventCorrelator, in its order: the aggregator combines a burst of similar events (same
/// source, object, type and reason, ten different messages within ten minutes) into one whose
/// message says so; the logger counts repeats of one event on a single Event (its name and first
/// time kept, count and last time moved); the spam filter gives each source and object a token
/// bucket, and an event without a token is not recorded. Each cache holds at most 4096 keys, as
/// client-go's LRUs do. Not thread-safe: the recorder's single loop calls it.
/// </summary>
internal sealed class EventCorrelator(EventOptions options, TimeProvider time)
{
    public const int MaxCacheEntries = 4096;
    public const int AggregateMaxEvents = 10;
    public const string CombinedPrefix = "(combined from similar events): ";
    public static readonly TimeSpan AggregateInterval = TimeSpan.FromMinutes(10);

    private readonly LruCache<string, AggregateRecord> _aggregates = new(MaxCacheEntries);
    private readonly LruCache<string, Observation> _observations = new(MaxCacheEntries);
    private readonly LruCache<string, TokenBucket> _buckets = new(MaxCacheEntries);

    /// <summary>The Event to store for <paramref name="incoming"/> (a new one, or a repeat of one already stored), or null when it is rate-limited.</summary>
    public Event? Correlate(Event incoming)
    {
        var now = time.GetUtcNow();
        var (aggregated, key) = Aggregate(incoming, now);
        var observed = Observe(aggregated, key);
        return Allow(observed, now) ? observed : null;
    }

    private (Event Event, string Key) Aggregate(Event e, DateTimeOffset now)
    {
        var aggregateKey = string.Join(
            '\0',
            e.Source?.Component,
            e.Source?.Host,
            e.InvolvedObject.Kind,
            e.InvolvedObject.Namespace,
            e.InvolvedObject.Name,
            e.InvolvedObject.Uid,
            e.InvolvedObject.ApiVersion,
            e.Type,
            e.Reason,
            e.ReportingComponent,
            e.ReportingInstance);
        if (!_aggregates.TryGet(aggregateKey, out var record) || now - record.LastTimestamp > AggregateInterval)
        {
            record = new AggregateRecord();
        }

        record.LastTimestamp = now;
        record.Messages.Add(e.Message ?? string.Empty);
        _aggregates.Set(aggregateKey, record);
        if (record.Messages.Count < AggregateMaxEvents)
        {
            return (e, EventKey(e));
        }

        // Bounded as client-go bounds it: one message goes for each that arrives past the limit.
        record.Messages.Remove(record.Messages.First());
        return (e with { Message = CombinedPrefix + e.Message }, aggregateKey);
    }

    private Event Observe(Event e, string key)
    {
        if (_observations.TryGet(key, out var last))
        {
            e = e with
            {
                Metadata = e.Metadata with { Name = last.Name },
                FirstTimestamp = last.FirstTimestamp,
                Count = last.Count + 1,
            };
        }

        _observations.Set(key, new Observation(e.Metadata.Name!, e.FirstTimestamp ?? e.LastTimestamp ?? default, e.Count));
        return e;
    }

    private bool Allow(Event e, DateTimeOffset now)
    {
        var key = string.Join(
            '\0',
            e.Source?.Component,
            e.Source?.Host,
            e.InvolvedObject.Kind,
            e.InvolvedObject.Namespace,
            e.InvolvedObject.Name,
            e.InvolvedObject.Uid,
            e.InvolvedObject.ApiVersion);
        if (!_buckets.TryGet(key, out var bucket))
        {
            bucket = new TokenBucket(options.Burst, now);
            _buckets.Set(key, bucket);
        }

        return bucket.TryTake(now, options.Burst, options.RefillInterval);
    }

    /// <summary>client-go's getEventKey: everything that makes two events the same one.</summary>
    private static string EventKey(Event e) => string.Join(
        '\0',
        e.Source?.Component,
        e.Source?.Host,
        e.InvolvedObject.Kind,
        e.InvolvedObject.Namespace,
        e.InvolvedObject.Name,
        e.InvolvedObject.FieldPath,
        e.InvolvedObject.Uid,
        e.InvolvedObject.ApiVersion,
        e.Type,
        e.Reason,
        e.Message);

    /// <summary>An event's name, as client-go makes it: the object's name and a time in hexadecimal nanoseconds.</summary>
    public static string NameFor(string objectName, long unixNanoseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{objectName}.{unixNanoseconds:x}");

    private sealed class AggregateRecord
    {
        public HashSet<string> Messages { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset LastTimestamp { get; set; }
    }

    private readonly record struct Observation(string Name, DateTimeOffset FirstTimestamp, int Count);

    /// <summary>golang.org/x/time/rate's bucket: <c>burst</c> tokens, one more per refill interval.</summary>
    private sealed class TokenBucket(int burst, DateTimeOffset now)
    {
        private double _tokens = burst;
        private DateTimeOffset _last = now;

        public bool TryTake(DateTimeOffset now, int burst, TimeSpan refill)
        {
            if (now > _last)
            {
                _tokens = Math.Min(burst, _tokens + ((now - _last) / refill));
                _last = now;
            }

            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }
}

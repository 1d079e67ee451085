using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// The recorded Events in memory: kept in the order they were last written, so the least recently
/// recorded goes first past <see cref="EventOptions.MaxEvents"/> and expiry walks from the oldest; a
/// timer expires them <see cref="EventOptions.Ttl"/> after their last write, as etcd's lease expires
/// kube-apiserver's. Watches replay a bounded history, then follow through one bounded channel each;
/// a watcher that falls that far behind is ended with Gone.
/// </summary>
internal sealed class EventStore : IEventStore, IDisposable
{
    public const int HistorySize = 1000;
    public const int WatchBufferSize = 1000;

    private readonly Lock _gate = new();
    private readonly EventOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Namespace, string Name), LinkedListNode<Entry>> _events = [];
    private readonly LinkedList<Entry> _byLastWrite = new();
    private readonly Queue<WatchEvent> _history = new();
    private readonly List<Channel<WatchEvent>> _watchers = [];
    private readonly ITimer _sweep;
    private long _resourceVersion;
    private long _dropped;

    public EventStore(EventOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        var period = TimeSpan.FromTicks(Math.Clamp(options.Ttl.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweep = _time.CreateTimer(static s => ((EventStore)s!).Expire(), this, period, period);
    }

    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _events.Count;
            }
        }
    }

    public void CountDropped() => Interlocked.Increment(ref _dropped);

    public ObjectList<Event> List(string? @namespace = null)
    {
        lock (_gate)
        {
            ExpireLocked();
            var items = _byLastWrite
                .Select(e => e.Event)
                .Where(e => string.IsNullOrEmpty(@namespace) || e.Metadata.Namespace == @namespace)
                .OrderBy(e => e.Metadata.Namespace, StringComparer.Ordinal)
                .ThenBy(e => e.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            return new ObjectList<Event>(items, _resourceVersion);
        }
    }

    public Event? Get(string @namespace, string name)
    {
        lock (_gate)
        {
            ExpireLocked();
            return _events.TryGetValue((@namespace, name), out var node) ? node.Value.Event : null;
        }
    }

    /// <summary>Stores a new Event, or the next count of one stored under the same name (which keeps its uid and creation time).</summary>
    public Event Write(Event e) => Store(e, keepIdentity: false);

    /// <summary>
    /// Stores an Event another node recorded (cluster mode), as it is: its uid and creation time are
    /// that node's. It expires here as an Event recorded now does, unless its removal comes first.
    /// </summary>
    public Event Apply(Event e) => Store(e, keepIdentity: true);

    /// <summary>Removes an Event (one another node recorded, whose time ran out there); false when it is not here.</summary>
    public bool Remove(string @namespace, string name)
    {
        lock (_gate)
        {
            if (!_events.TryGetValue((@namespace, name), out var node))
            {
                return false;
            }

            RemoveLocked(node);
            return true;
        }
    }

    private Event Store(Event e, bool keepIdentity)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var key = (e.Metadata.Namespace!, e.Metadata.Name!);
            var version = ++_resourceVersion;
            WatchEventType type;
            if (_events.Remove(key, out var existing))
            {
                _byLastWrite.Remove(existing);
                if (!keepIdentity)
                {
                    e = e with { Metadata = e.Metadata with { Uid = existing.Value.Event.Metadata.Uid, CreationTimestamp = existing.Value.Event.Metadata.CreationTimestamp } };
                }

                type = WatchEventType.Modified;
            }
            else
            {
                if (!keepIdentity)
                {
                    e = e with { Metadata = e.Metadata with { Uid = Guid.NewGuid().ToString(), CreationTimestamp = now } };
                }

                type = WatchEventType.Added;
            }

            e = e with { Metadata = e.Metadata with { ResourceVersion = version.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            _events[key] = _byLastWrite.AddLast(new Entry(e, now + _options.Ttl));
            Publish(new WatchEvent(type, e, version));
            while (_events.Count > Math.Max(1, _options.MaxEvents) && _byLastWrite.First is { } oldest)
            {
                RemoveLocked(oldest);
            }

            ExpireLocked();
            return e;
        }
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string? @namespace, long fromResourceVersion, CancellationToken cancellationToken)
    {
        Channel<WatchEvent> channel;
        List<WatchEvent> replay;
        lock (_gate)
        {
            if (fromResourceVersion == 0 || fromResourceVersion >= _resourceVersion)
            {
                replay = [];
            }
            else
            {
                var oldest = _history.Count == 0 ? _resourceVersion : _history.Peek().ResourceVersion - 1;
                if (fromResourceVersion < oldest)
                {
                    throw StoreErrors.Gone(fromResourceVersion, oldest);
                }

                replay = [.. _history.Where(h => h.ResourceVersion > fromResourceVersion)];
            }

            channel = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(WatchBufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            _watchers.Add(channel);
        }

        return ReadAsync(channel, replay, string.IsNullOrEmpty(@namespace) ? null : @namespace, cancellationToken);
    }

    public void Dispose()
    {
        _sweep.Dispose();
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }

            _watchers.Clear();
        }
    }

    /// <summary>Removes the Events whose time is up (the timer's work; reads do it too).</summary>
    public void Expire()
    {
        lock (_gate)
        {
            ExpireLocked();
        }
    }

    private async IAsyncEnumerable<WatchEvent> ReadAsync(Channel<WatchEvent> channel, List<WatchEvent> replay, string? @namespace, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            foreach (var e in replay)
            {
                if (Matches(e, @namespace))
                {
                    yield return e;
                }
            }

            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Matches(e, @namespace))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    private static bool Matches(WatchEvent e, string? @namespace) => @namespace is null || e.Object.Metadata.Namespace == @namespace;

    private void ExpireLocked()
    {
        var now = _time.GetUtcNow();
        while (_byLastWrite.First is { } oldest && oldest.Value.ExpiresAt <= now)
        {
            RemoveLocked(oldest);
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        _byLastWrite.Remove(node);
        var e = node.Value.Event;
        _events.Remove((e.Metadata.Namespace!, e.Metadata.Name!));
        var version = ++_resourceVersion;
        Publish(new WatchEvent(WatchEventType.Deleted, e with { Metadata = e.Metadata with { ResourceVersion = version.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, version));
    }

    private void Publish(WatchEvent change)
    {
        _history.Enqueue(change);
        while (_history.Count > HistorySize)
        {
            _history.Dequeue();
        }

        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            if (!_watchers[i].Writer.TryWrite(change))
            {
                // Too far behind: ended as kube-apiserver ends an unresponsive watcher; its client relists.
                _watchers[i].Writer.TryComplete(StoreErrors.Gone(change.ResourceVersion, change.ResourceVersion));
                _watchers.RemoveAt(i);
            }
        }
    }

    private sealed record Entry(Event Event, DateTimeOffset ExpiresAt);
}

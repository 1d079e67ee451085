using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ServiceProxy.Kubernetes.Diagnostics;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Watches: a replay from the history, then live events through one channel per watcher, bounded in
/// events and in bytes (the history's measure). A watcher past either bound is ended at once, as
/// kube-apiserver's cacher forces an unresponsive watcher closed, and its buffer is let go.
/// </summary>
internal sealed partial class InMemoryObjectStore
{
    private readonly List<Watcher> _watchers = [];

    public IAsyncEnumerable<WatchEvent> WatchAsync(string? kind, string? @namespace, long fromResourceVersion, CancellationToken cancellationToken)
    {
        // Registered now, not on first MoveNext, so the caller learns of Gone before it starts a response
        // and no event slips between this call and the first read.
        Watcher watcher;
        List<WatchEvent> replay;
        lock (_gate)
        {
            var current = _state.ResourceVersion;
            if (fromResourceVersion == 0)
            {
                fromResourceVersion = current;
            }
            else if (!_history.Covers(fromResourceVersion, current))
            {
                throw StoreErrors.Gone(fromResourceVersion, _history.OldestVersion(current));
            }

            // Empty means all, as in Kubernetes' all-namespaces watch.
            watcher = new Watcher(string.IsNullOrEmpty(kind) ? null : kind, string.IsNullOrEmpty(@namespace) ? null : @namespace, fromResourceVersion, _watchBufferSize, _watchBufferMaxBytes);
            replay = _history.Since(fromResourceVersion, watcher.Matches);
            _watchers.Add(watcher);
        }

        return ReadAsync(watcher, replay, cancellationToken);
    }

    public bool TryGetEventsSince(long resourceVersion, out IReadOnlyList<WatchEvent> events)
    {
        lock (_gate)
        {
            if (!_history.Covers(resourceVersion, _state.ResourceVersion))
            {
                events = [];
                return false;
            }

            events = _history.Since(resourceVersion);
            return true;
        }
    }

    internal int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    private async IAsyncEnumerable<WatchEvent> ReadAsync(Watcher watcher, List<WatchEvent> replay, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            foreach (var watchEvent in replay)
            {
                yield return watchEvent;
                watcher.Delivered(watchEvent);
            }

            replay.Clear();
            while (await watcher.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (watcher.TryRead(out var watchEvent))
                {
                    yield return watchEvent;
                    watcher.Delivered(watchEvent);
                }
            }
        }
        finally
        {
            RemoveWatcher(watcher);
        }
    }

    private void RemoveWatcher(Watcher watcher)
    {
        lock (_gate)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>Under the write lock: hands the event of <paramref name="size"/> bytes to each matching watcher without waiting.</summary>
    private void Dispatch(WatchEvent watchEvent, long size)
    {
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            var watcher = _watchers[i];
            if (!watcher.Matches(watchEvent) || watcher.TryWrite(watchEvent, size))
            {
                continue;
            }

            // Too far behind: end the stream with Gone (the client relists) instead of buffering without
            // bound. The buffered events are dropped unsent, since a client that relists has no use for them.
            _watchers.RemoveAt(i);
            var (events, bytes) = (watcher.BufferedEvents, watcher.BufferedBytes);
            watcher.End(StoreErrors.Gone(watcher.LastDelivered, _history.OldestVersion(watchEvent.ResourceVersion)));
            Log.WatcherTooSlow(_logger, watcher.Kind ?? "*", watcher.Namespace ?? "*", events, bytes, _watchBufferSize, _watchBufferMaxBytes, watcher.LastDelivered);
        }
    }

    private sealed class Watcher
    {
        private readonly Channel<Buffered> _channel;
        private readonly long _maxBytes;
        private long _bytes;
        private long _lastDelivered;

        public Watcher(string? kind, string? @namespace, long fromResourceVersion, int capacity, long maxBytes)
        {
            Kind = kind;
            Namespace = @namespace;
            LastQueued = fromResourceVersion;
            _lastDelivered = fromResourceVersion;
            _maxBytes = maxBytes;
            _channel = Channel.CreateBounded<Buffered>(new BoundedChannelOptions(capacity)
            {
                // The writer drains the buffer when it ends the watcher, so the reader is not alone.
                SingleReader = false,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public string? Kind { get; }

        public string? Namespace { get; }

        /// <summary>The resourceVersion of the last event queued (or replayed): later events are new to this watcher.</summary>
        public long LastQueued { get; private set; }

        /// <summary>The resourceVersion of the last event the consumer took and came back for more: a relist resumes after it.</summary>
        public long LastDelivered => Volatile.Read(ref _lastDelivered);

        public int BufferedEvents => _channel.Reader.Count;

        public long BufferedBytes => Volatile.Read(ref _bytes);

        public bool Matches(WatchEvent watchEvent) =>
            watchEvent.ResourceVersion > LastQueued
            && (Kind is null || Kind == watchEvent.Object.Kind)
            && (Namespace is null || Namespace == watchEvent.Object.Metadata.NamespaceOrDefault);

        /// <summary>Queues the event unless the buffer is full in events or in bytes; an empty buffer takes any one event.</summary>
        public bool TryWrite(WatchEvent watchEvent, long size)
        {
            if (_channel.Reader.Count > 0 && BufferedBytes + size > _maxBytes)
            {
                return false;
            }

            Interlocked.Add(ref _bytes, size);
            if (!_channel.Writer.TryWrite(new Buffered(watchEvent, size)))
            {
                Interlocked.Add(ref _bytes, -size);
                return false;
            }

            LastQueued = watchEvent.ResourceVersion;
            return true;
        }

        public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

        public bool TryRead([MaybeNullWhen(false)] out WatchEvent watchEvent)
        {
            if (!_channel.Reader.TryRead(out var buffered))
            {
                watchEvent = null;
                return false;
            }

            Interlocked.Add(ref _bytes, -buffered.Size);
            watchEvent = buffered.Event;
            return true;
        }

        public void Delivered(WatchEvent watchEvent) => Volatile.Write(ref _lastDelivered, watchEvent.ResourceVersion);

        /// <summary>Drops what is buffered, so that it can be collected while the consumer is still stuck, and ends the stream with <paramref name="error"/>.</summary>
        public void End(Exception error)
        {
            _channel.Writer.TryComplete(error);
            while (TryRead(out _))
            {
            }
        }

        private readonly record struct Buffered(WatchEvent Event, long Size);
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ServiceProxy.Diagnostics;

namespace ServiceProxy.Registry;

/// <summary>Watches: a replay from the history, then live events through one bounded channel per watcher.</summary>
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
            watcher = new Watcher(string.IsNullOrEmpty(kind) ? null : kind, string.IsNullOrEmpty(@namespace) ? null : @namespace, fromResourceVersion, _watchBufferSize);
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
            }

            replay.Clear();
            while (await watcher.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (watcher.Reader.TryRead(out var watchEvent))
                {
                    yield return watchEvent;
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

    /// <summary>Under the write lock: hands the event to each matching watcher without waiting.</summary>
    private void Dispatch(WatchEvent watchEvent)
    {
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            var watcher = _watchers[i];
            if (!watcher.Matches(watchEvent) || watcher.TryWrite(watchEvent))
            {
                continue;
            }

            // Too far behind: end the stream with Gone (the client relists) instead of buffering without bound.
            _watchers.RemoveAt(i);
            watcher.Complete(StoreErrors.Gone(watcher.LastQueued, _history.OldestVersion(watchEvent.ResourceVersion)));
            Log.WatcherTooSlow(_logger, watcher.Kind ?? "*", watcher.Namespace ?? "*", watcher.LastQueued);
        }
    }

    private sealed class Watcher
    {
        private readonly Channel<WatchEvent> _channel;

        public Watcher(string? kind, string? @namespace, long fromResourceVersion, int capacity)
        {
            Kind = kind;
            Namespace = @namespace;
            LastQueued = fromResourceVersion;
            _channel = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public string? Kind { get; }

        public string? Namespace { get; }

        /// <summary>The resourceVersion of the last event queued (or replayed): a relist resumes after it.</summary>
        public long LastQueued { get; private set; }

        public ChannelReader<WatchEvent> Reader => _channel.Reader;

        public bool Matches(WatchEvent watchEvent) =>
            watchEvent.ResourceVersion > LastQueued
            && (Kind is null || Kind == watchEvent.Object.Kind)
            && (Namespace is null || Namespace == watchEvent.Object.Metadata.NamespaceOrDefault);

        public bool TryWrite(WatchEvent watchEvent)
        {
            if (!_channel.Writer.TryWrite(watchEvent))
            {
                return false;
            }

            LastQueued = watchEvent.ResourceVersion;
            return true;
        }

        public void Complete(Exception error) => _channel.Writer.TryComplete(error);
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Kubernetes.Diagnostics;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// Delivers the store's events to one in-process consumer, in resourceVersion order, each once,
/// synchronously on a writer's thread right after the write (so a single writer sees the consumer
/// converged when its write returns). Processing is serialised; a write the consumer itself makes
/// while processing is picked up by the same loop. When the history no longer covers what the
/// consumer saw, it resyncs from full lists instead.
/// </summary>
internal sealed class StoreChangeFeed : IDisposable
{
    private readonly Lock _gate = new();
    private readonly IObjectStore _store;
    private readonly string _name;
    private readonly Action<IReadOnlyList<WatchEvent>> _onEvents;
    private readonly Action _onResync;
    private readonly Action? _afterProcessing;
    private readonly ILogger _logger;
    private IDisposable? _subscription;
    private long _seen;
    private bool _pending;
    private bool _needsResync;
    private bool _disposed;
    private bool _stopped;

    public StoreChangeFeed(IObjectStore store, string name, Action<IReadOnlyList<WatchEvent>> onEvents, Action onResync, ILogger logger, Action? afterProcessing = null)
    {
        _store = store;
        _name = name;
        _onEvents = onEvents;
        _onResync = onResync;
        _logger = logger;
        _afterProcessing = afterProcessing;
    }

    /// <summary>The resourceVersion up to which the consumer has processed.</summary>
    public long ProcessedResourceVersion => Volatile.Read(ref _seen);

    /// <summary>Runs the initial full sync, then follows every write.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _needsResync = true;
            _pending = true;
            _stopped = false;
        }

        // Subscribe before the first pass so a write racing with it is not missed.
        _subscription?.Dispose();
        _subscription = ChangeToken.OnChange(_store.GetChangeToken, Sync);
        Sync();
    }

    /// <summary>Processes every event written so far; returns once the consumer has caught up.</summary>
    public void Sync()
    {
        if (_gate.IsHeldByCurrentThread)
        {
            // The consumer's own write: the loop below runs again before it lets go.
            _pending = true;
            return;
        }

        lock (_gate)
        {
            _pending = true;
            while (_pending && !_disposed && !_stopped)
            {
                _pending = false;
                Process();
            }
        }

        _afterProcessing?.Invoke();
    }

    /// <summary>Stops following the store until <see cref="Start"/> (which resyncs); a pass under way finishes first.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
        }

        Interlocked.Exchange(ref _subscription, null)?.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _subscription?.Dispose();
    }

    private void Process()
    {
        try
        {
            if (!_needsResync && _store.TryGetEventsSince(_seen, out var events))
            {
                if (events.Count > 0)
                {
                    Volatile.Write(ref _seen, events[^1].ResourceVersion);
                    _onEvents(events);
                }

                return;
            }

            if (!_needsResync)
            {
                Log.ConsumerResync(_logger, _name, _seen);
            }

            // Read the version first: events after it are replayed, and replaying one the lists
            // already reflect is harmless because consumers recompute from current state.
            var version = _store.ResourceVersion;
            _needsResync = false;
            Volatile.Write(ref _seen, version);
            _onResync();
        }
#pragma warning disable CA1031 // A consumer bug must not fail the write that triggered it; it resyncs next time.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _needsResync = true;
            Log.ConsumerFailed(_logger, _name, ex);
        }
    }
}

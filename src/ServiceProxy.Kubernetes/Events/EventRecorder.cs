using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Kubernetes.Diagnostics;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// The recorder: <see cref="Record"/> only stamps the event and offers it to a bounded queue (full:
/// dropped and counted); one loop takes them in order, fills in the uid of an object named without
/// one, correlates (<see cref="EventCorrelator"/>) and writes the result to the <see cref="EventStore"/>.
/// </summary>
internal sealed class EventRecorder : IEventRecorder, IDisposable
{
    private readonly Channel<Event> _queue;
    private readonly EventStore _events;
    private readonly EventCorrelator _correlator;
    private readonly IObjectStore? _objects;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _host;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _lastDropLogged;
    private long _lastNanoseconds;

    /// <param name="options">Limits and the source host.</param>
    /// <param name="events">Where the correlated events go.</param>
    /// <param name="objects">Where a missing uid is looked up; null looks up nothing.</param>
    /// <param name="time">The clock; null is the system's.</param>
    /// <param name="logger">Where drops are logged.</param>
    /// <param name="run">False leaves the queue to <see cref="ProcessQueued"/> (tests).</param>
    public EventRecorder(EventOptions options, EventStore events, IObjectStore? objects = null, TimeProvider? time = null, ILogger? logger = null, bool run = true)
    {
        _events = events;
        _objects = objects;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _host = string.IsNullOrEmpty(options.Host) ? Environment.MachineName : options.Host;
        _correlator = new EventCorrelator(options, _time);
        _queue = Channel.CreateBounded<Event>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = run ? Task.Run(RunAsync) : Task.CompletedTask;
    }

    public void Record(ObjectReference involvedObject, string component, string type, string reason, string message)
    {
        ArgumentNullException.ThrowIfNull(involvedObject);
        var now = _time.GetUtcNow();
        var e = new Event
        {
            Metadata = new ObjectMeta
            {
                Name = EventCorrelator.NameFor(involvedObject.Name ?? string.Empty, UniqueNanoseconds(now)),
                Namespace = string.IsNullOrEmpty(involvedObject.Namespace) ? ObjectMeta.DefaultNamespace : involvedObject.Namespace,
            },
            InvolvedObject = involvedObject,
            Reason = reason,
            Message = message,
            Source = new EventSource { Component = component, Host = _host },
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
            Type = type,
        };
        if (!_queue.Writer.TryWrite(e))
        {
            _events.CountDropped();
            var dropped = _events.Dropped;
            // One line per power of two dropped: a flood says so without flooding the log.
            if ((dropped & (dropped - 1)) == 0 && Interlocked.Exchange(ref _lastDropLogged, dropped) != dropped)
            {
                Log.EventsDropped(_logger, dropped, reason, involvedObject.Kind ?? string.Empty, $"{e.Metadata.Namespace}/{involvedObject.Name}");
            }
        }
    }

    /// <summary>The time in Unix nanoseconds, made later than the last one taken, so two events recorded in one tick get two names.</summary>
    private long UniqueNanoseconds(DateTimeOffset now)
    {
        var nanoseconds = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        while (true)
        {
            var last = Volatile.Read(ref _lastNanoseconds);
            var next = Math.Max(nanoseconds, last + 1);
            if (Interlocked.CompareExchange(ref _lastNanoseconds, next, last) == last)
            {
                return next;
            }
        }
    }

    /// <summary>Records everything queued now, on the caller's thread (when constructed not to run).</summary>
    public int ProcessQueued()
    {
        var count = 0;
        while (_queue.Reader.TryRead(out var e))
        {
            Process(e);
            count++;
        }

        return count;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                ProcessQueued();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private void Process(Event e)
    {
        try
        {
            if (string.IsNullOrEmpty(e.InvolvedObject.Uid) && _objects is not null && LookUp(e.InvolvedObject) is { } obj)
            {
                e = e with { InvolvedObject = e.InvolvedObject with { Uid = obj.Metadata.Uid } };
            }

            if (_correlator.Correlate(e) is { } observed)
            {
                _events.Write(observed);
            }
        }
#pragma warning disable CA1031 // One bad event must not stop the recorder.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.EventRecordFailed(_logger, e.Reason ?? string.Empty, ex);
        }
    }

    private KubeObject? LookUp(ObjectReference reference)
    {
        var ns = reference.Namespace ?? ObjectMeta.DefaultNamespace;
        var name = reference.Name ?? string.Empty;
        return reference.Kind switch
        {
            "Service" => _objects!.Get<Service>(ns, name),
            "Pod" => _objects!.Get<Pod>(ns, name),
            "Endpoints" => _objects!.Get<Endpoints>(ns, name),
            _ => null,
        };
    }
}

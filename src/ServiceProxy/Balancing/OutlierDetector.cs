using System.Collections.Immutable;
using System.Net;
using ServiceProxy.Configuration;

namespace ServiceProxy.Balancing;

/// <summary>
/// Passive health of one service port's endpoints (Envoy's consecutive-failure outlier detection):
/// counts failed connects in a row per endpoint and ejects one that reaches the threshold, for the
/// base time times its ejections in a row (capped), unless that would put more than the maximum
/// percentage out. A timer returns it when its time is up. The multiplier drops by one for each base
/// time the endpoint then stays in rotation. State exists only for the current endpoints. A
/// successful connect costs one dictionary lookup and takes no lock; failures past the threshold,
/// updates and returns take the detector's lock (never across an await).
/// </summary>
internal sealed class OutlierDetector
{
    private static readonly IReadOnlySet<IPEndPoint> None = ImmutableHashSet<IPEndPoint>.Empty;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private volatile OutlierDetectionConfig _config = OutlierDetectionConfig.Disabled;
    private volatile Dictionary<IPEndPoint, EndpointHealth> _health = []; // replaced, never changed once published
    private volatile IReadOnlySet<IPEndPoint> _ejected = None; // replaced, never changed once published
    private ITimer? _timer;

    public OutlierDetector(TimeProvider time) => _time = time;

    /// <summary>Endpoints out of rotation now; empty (and cheap to test) when none is.</summary>
    public IReadOnlySet<IPEndPoint> Ejected => _ejected;

    public OutlierDetectionConfig Config => _config;

    /// <summary>Receives ejections and returns; null reports nothing.</summary>
    public IOutlierSink? Sink { get; set; }

    /// <summary>
    /// Follows a new endpoint set and settings: endpoints that remain keep their count, ejection and
    /// multiplier; vanished ones are forgotten; turning detection off returns every ejected endpoint.
    /// </summary>
    public void Update(ImmutableArray<IPEndPoint> endpoints, OutlierDetectionConfig config)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var old = _health;
            var health = new Dictionary<IPEndPoint, EndpointHealth>(endpoints.Length);
            foreach (var endpoint in endpoints)
            {
                health[endpoint] = old.TryGetValue(endpoint, out var kept) ? kept : new EndpointHealth();
            }

            foreach (var (endpoint, state) in old)
            {
                if (state.Ejected && !health.ContainsKey(endpoint))
                {
                    state.Ejected = false;
                    Sink?.Returned(endpoint, removed: true);
                }
            }

            _config = config;
            _health = health;
            if (!config.Enabled)
            {
                foreach (var (endpoint, state) in health)
                {
                    if (state.Ejected)
                    {
                        Return(endpoint, state, now);
                    }
                }
            }

            Publish(now);
        }
    }

    /// <summary>
    /// The port is gone: every endpoint is forgotten, the ejected ones reported as removed, and the
    /// return timer stops, so nothing is logged or counted for the port afterwards.
    /// </summary>
    public void Clear() => Update([], _config);

    /// <summary>A connect to <paramref name="endpoint"/> succeeded: its count of failures in a row starts again.</summary>
    public void ReportSuccess(IPEndPoint endpoint)
    {
        if (_health.TryGetValue(endpoint, out var state) && Volatile.Read(ref state.Failures) != 0)
        {
            Volatile.Write(ref state.Failures, 0);
        }
    }

    /// <summary>A connect to <paramref name="endpoint"/> failed (refused, timed out, unreachable).</summary>
    public void ReportFailure(IPEndPoint endpoint)
    {
        var config = _config;
        if (!config.Enabled || !_health.TryGetValue(endpoint, out var state)
            || Interlocked.Increment(ref state.Failures) < config.ConsecutiveFailures)
        {
            return;
        }

        lock (_gate)
        {
            config = _config;
            var failures = Volatile.Read(ref state.Failures);
            if (!config.Enabled || state.Ejected || failures < config.ConsecutiveFailures
                || !_health.TryGetValue(endpoint, out var current) || current != state)
            {
                return; // another failure ejected it first, or it left the port meanwhile
            }

            // As Envoy: the count starts again once it reached the threshold, whether or not the
            // maximum percentage lets this endpoint go.
            Volatile.Write(ref state.Failures, 0);
            if ((_ejected.Count + 1) * 100L > (long)config.MaxEjectionPercent * _health.Count)
            {
                return;
            }

            var now = _time.GetTimestamp();
            if (state.Multiplier > 0)
            {
                var steps = _time.GetElapsedTime(state.ReturnedAt, now) / config.BaseEjectionTime;
                state.Multiplier = (int)Math.Max(0, state.Multiplier - Math.Floor(steps));
            }

            state.Multiplier = Math.Min(state.Multiplier + 1, MaxMultiplier(config));
            var duration = config.EjectionTime(state.Multiplier);
            state.Ejected = true;
            state.ReturnAt = now + (long)(duration.TotalSeconds * _time.TimestampFrequency);
            Sink?.Ejected(endpoint, failures, duration, state.Multiplier);
            Publish(now);
        }
    }

    /// <summary>
    /// One step past the cap, as Envoy's backoff: an endpoint that comes back and fails at once stays
    /// at the longest ejection even after one step of decay.
    /// </summary>
    private static int MaxMultiplier(OutlierDetectionConfig config) =>
        (int)Math.Min(int.MaxValue - 1, Math.Ceiling(config.EjectionTime(int.MaxValue) / config.BaseEjectionTime)) + 1;

    private void Return(IPEndPoint endpoint, EndpointHealth state, long now)
    {
        state.Ejected = false;
        state.ReturnedAt = now;
        Volatile.Write(ref state.Failures, 0);
        Sink?.Returned(endpoint, removed: false);
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            foreach (var (endpoint, state) in _health)
            {
                if (state.Ejected && state.ReturnAt <= now)
                {
                    Return(endpoint, state, now);
                }
            }

            Publish(now);
        }
    }

    /// <summary>Publishes the ejected set and arms the timer for the earliest return (under the lock).</summary>
    private void Publish(long now)
    {
        HashSet<IPEndPoint>? ejected = null;
        var next = long.MaxValue;
        foreach (var (endpoint, state) in _health)
        {
            if (state.Ejected)
            {
                (ejected ??= []).Add(endpoint);
                next = Math.Min(next, state.ReturnAt);
            }
        }

        _ejected = ejected ?? None;
        if (ejected is null)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }

        var due = next <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, next);
        _timer ??= _time.CreateTimer(static s => ((OutlierDetector)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private sealed class EndpointHealth
    {
        /// <summary>Failed connects in a row; written without the lock.</summary>
        public int Failures;

        public bool Ejected;

        /// <summary>Ejections in a row: the ejection time is the base time times this.</summary>
        public int Multiplier;

        public long ReturnAt;

        /// <summary>When it last came back, for the multiplier's decay.</summary>
        public long ReturnedAt;
    }
}

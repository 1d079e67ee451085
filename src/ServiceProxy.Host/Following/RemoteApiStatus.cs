using System.Diagnostics.Metrics;

namespace ServiceProxy.Host.Following;

/// <summary>
/// How current the followed state is, for <c>/readyz</c> and the metrics. Each followed collection
/// reports when it was last in touch with the API (a list, a watch event or bookmark) and whether its
/// watch is open; while every watch is open the state is current, otherwise it is as old as the
/// collection longest out of touch. Before every collection has been listed once there is no state.
/// </summary>
internal sealed class RemoteApiStatus
{
    /// <summary><c>serviceproxy.remote_api.staleness</c>: seconds the followed state may lag the API.</summary>
    public const string StalenessInstrument = "serviceproxy.remote_api.staleness";

    /// <summary><c>serviceproxy.remote_api.relists</c>: full lists, the first included, per resource.</summary>
    public const string RelistsInstrument = "serviceproxy.remote_api.relists";

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (long LastContact, bool Listed, bool Watching)> _streams = new(StringComparer.Ordinal);
    private readonly Counter<long> _relists;

    public RemoteApiStatus(IMeterFactory meters, TimeProvider time, RemoteApiOptions options)
    {
        _time = time;
        StaleAfter = options.StaleAfter;
        var meter = meters.Create(Admin.AdminApi.MeterName);
        _relists = meter.CreateCounter<long>(RelistsInstrument, unit: "{list}", description: "Full lists of a followed resource, the first included.");
        meter.CreateObservableGauge(StalenessInstrument, () => Staleness is { } s ? [new Measurement<double>(s.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "How long the node has been out of touch with the remote API (0 while every watch is open).");
    }

    /// <summary>Beyond this, <c>/readyz</c> fails.</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>Registers a followed stream (<c>services</c>, <c>endpoints</c>) before it is listed.</summary>
    public void Add(string stream)
    {
        lock (_gate)
        {
            _streams.TryAdd(stream, (0, false, false));
        }
    }

    /// <summary>A full list of <paramref name="resource"/> (EndpointSlices or Endpoints for the <c>endpoints</c> stream) was applied.</summary>
    public void Listed(string stream, string resource)
    {
        _relists.Add(1, new KeyValuePair<string, object?>("resource", resource));
        Update(stream, s => (_time.GetTimestamp(), true, s.Watching));
    }

    /// <summary>A watch event or bookmark of <paramref name="stream"/> arrived.</summary>
    public void Contact(string stream) => Update(stream, s => (_time.GetTimestamp(), s.Listed, s.Watching));

    /// <summary>The watch of <paramref name="stream"/> opened or ended; either is a contact.</summary>
    public void Watching(string stream, bool open) => Update(stream, s => (open || s.Watching ? _time.GetTimestamp() : s.LastContact, s.Listed, open));

    /// <summary>Every followed collection has been listed at least once.</summary>
    public bool Synced
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count > 0 && _streams.Values.All(s => s.Listed);
            }
        }
    }

    /// <summary>How far behind the API the state may be; null before <see cref="Synced"/>.</summary>
    public TimeSpan? Staleness
    {
        get
        {
            lock (_gate)
            {
                if (_streams.Count == 0 || _streams.Values.Any(s => !s.Listed))
                {
                    return null;
                }

                var oldest = _streams.Values.Where(s => !s.Watching).Select(s => s.LastContact).DefaultIfEmpty(long.MaxValue).Min();
                return oldest == long.MaxValue ? TimeSpan.Zero : _time.GetElapsedTime(oldest);
            }
        }
    }

    /// <summary>The <c>/readyz</c> line of this check: null when it passes.</summary>
    public string? Failure => Staleness switch
    {
        null => "[-]remote-api failed: not synced with the remote API yet\n",
        { } s when s > StaleAfter => FormattableString.Invariant($"[-]remote-api failed: out of touch with the remote API for {s.TotalSeconds:0.0}s (more than {StaleAfter.TotalSeconds:0.#}s)\n"),
        _ => null,
    };

    private void Update(string stream, Func<(long LastContact, bool Listed, bool Watching), (long, bool, bool)> change)
    {
        lock (_gate)
        {
            _streams[stream] = change(_streams.GetValueOrDefault(stream));
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>Records the long measurements of one instrument of meters created by one <see cref="TestMeterFactory"/>.</summary>
public sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(long Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MeasurementRecorder(IMeterFactory scope, string instrumentName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            _measurements.Enqueue((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.Start();
    }

    public IReadOnlyList<(long Value, Dictionary<string, object?> Tags)> Measurements => [.. _measurements];

    public long Sum => _measurements.Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}

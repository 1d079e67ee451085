using System.Diagnostics.Metrics;

namespace ServiceProxy.Diagnostics;

/// <summary>
/// The <c>ServiceProxy</c> meter. Instruments use OpenTelemetry-style names; the TCP and UDP
/// instruments live in the partial files beside this one.
/// </summary>
internal sealed partial class ServiceProxyMetrics : IDisposable
{
    public const string MeterName = "ServiceProxy";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public ServiceProxyMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        CreateTcpInstruments(_meter);
        CreateUdpInstruments(_meter);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    partial void CreateTcpInstruments(Meter meter);

    partial void CreateUdpInstruments(Meter meter);
}

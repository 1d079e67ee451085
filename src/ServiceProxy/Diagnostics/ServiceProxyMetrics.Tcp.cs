using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ServiceProxy.Diagnostics;

internal sealed partial class ServiceProxyMetrics
{
    public const string DirectionTag = "serviceproxy.direction";

    /// <summary>Which limit refused a client: <c>port</c>, <c>process</c> or <c>descriptors</c> (the process was out of them).</summary>
    public const string LimitTag = "serviceproxy.limit";

    /// <summary>Bytes or datagrams from the client towards the backend (TCP and UDP alike).</summary>
    private static readonly KeyValuePair<string, object?> UpstreamTag = new(DirectionTag, "upstream");

    /// <summary>Bytes or datagrams from the backend back to the client (TCP and UDP alike).</summary>
    private static readonly KeyValuePair<string, object?> DownstreamTag = new(DirectionTag, "downstream");

    private UpDownCounter<long> _tcpActive = null!;
    private Histogram<double> _tcpDuration = null!;
    private Counter<long> _tcpBytes = null!;
    private Counter<long> _tcpConnectFailures = null!;
    private Counter<long> _tcpRejected = null!;
    private Counter<long> _tcpRefused = null!;
    private Counter<long> _ejections = null!;
    private UpDownCounter<long> _ejected = null!;

    public bool TcpBytesEnabled => _tcpBytes.Enabled;

    partial void CreateTcpInstruments(Meter meter)
    {
        _tcpActive = meter.CreateUpDownCounter<long>("serviceproxy.tcp.connections.active", "{connection}",
            "Proxied TCP connections open now (client accepted, backend connected).");
        _tcpDuration = meter.CreateHistogram<double>("serviceproxy.tcp.connection.duration", "s",
            "Lifetime of proxied TCP connections.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 14400] });
        _tcpBytes = meter.CreateCounter<long>("serviceproxy.tcp.bytes", "By",
            "Bytes relayed; serviceproxy.direction is upstream (client to backend) or downstream.");
        _tcpConnectFailures = meter.CreateCounter<long>("serviceproxy.tcp.connect.failures", "{attempt}",
            "Failed or timed-out connect attempts to a backend.");
        _tcpRejected = meter.CreateCounter<long>("serviceproxy.tcp.connections.rejected", "{connection}",
            "Client connections reset because no endpoint exists or every connect attempt failed.");
        _tcpRefused = meter.CreateCounter<long>("serviceproxy.tcp.connections.refused", "{connection}",
            "Client connections reset at accept because a connection limit was reached or the client is outside the listener's allowed sources; serviceproxy.limit is port, process, descriptors or source.");
        _ejections = meter.CreateCounter<long>("serviceproxy.tcp.endpoint.ejections", "{ejection}",
            "Endpoints taken out of rotation by passive health (failed connects in a row).");
        _ejected = meter.CreateUpDownCounter<long>("serviceproxy.tcp.endpoints.ejected", "{endpoint}",
            "Endpoints out of rotation now by passive health.");
    }

    /// <param name="tags">Service and port tags.</param>
    public void EndpointEjected(in TagList tags)
    {
        _ejections.Add(1, tags);
        _ejected.Add(1, tags);
    }

    /// <param name="tags">Service and port tags.</param>
    public void EndpointReturned(in TagList tags) => _ejected.Add(-1, tags);

    /// <param name="tags">Service, port and endpoint tags.</param>
    public void TcpConnectionOpened(in TagList tags) => _tcpActive.Add(1, tags);

    public void TcpConnectionClosed(in TagList tags, TimeSpan duration)
    {
        _tcpActive.Add(-1, tags);
        _tcpDuration.Record(duration.TotalSeconds, tags);
    }

    public void TcpBytes(in TagList tags, bool upstream, long bytes)
    {
        if (bytes > 0 && _tcpBytes.Enabled)
        {
            var withDirection = tags;
            withDirection.Add(upstream ? UpstreamTag : DownstreamTag);
            _tcpBytes.Add(bytes, withDirection);
        }
    }

    public void TcpConnectFailed(in TagList tags) => _tcpConnectFailures.Add(1, tags);

    /// <param name="tags">Service and port tags (no endpoint: there is none).</param>
    public void TcpRejected(in TagList tags) => _tcpRejected.Add(1, tags);

    /// <param name="tags">Service and port tags.</param>
    /// <param name="limit">The <see cref="LimitTag"/> value.</param>
    /// <param name="count">Clients refused at once.</param>
    public void TcpRefused(in TagList tags, string limit, long count = 1)
    {
        var withLimit = tags;
        withLimit.Add(LimitTag, limit);
        _tcpRefused.Add(count, withLimit);
    }
}

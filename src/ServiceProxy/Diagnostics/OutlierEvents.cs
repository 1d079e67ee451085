using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;

namespace ServiceProxy.Diagnostics;

/// <summary>One log line and the metrics per ejection and per return of one TCP service port's endpoints.</summary>
internal sealed class OutlierEvents(ServicePortKey key, ILogger logger, ServiceProxyMetrics metrics) : IOutlierSink
{
    private readonly TagList _tags = ServicePortTags.For(key);

    public void Ejected(IPEndPoint endpoint, int failures, TimeSpan duration, int ejections)
    {
        metrics.EndpointEjected(_tags);
        Log.EndpointEjected(logger, key, endpoint, failures, duration, ejections);
    }

    public void Returned(IPEndPoint endpoint, bool removed)
    {
        metrics.EndpointReturned(_tags);
        if (!removed)
        {
            Log.EndpointReturned(logger, key, endpoint);
        }
    }
}

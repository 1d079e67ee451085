using System.Net;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;

namespace ServiceProxy.Diagnostics;

/// <summary>A port's outlier sink that also tells the server's <see cref="IServicePortObserver"/>.</summary>
internal sealed class ObservedOutlierSink(IOutlierSink? inner, ServicePortKey key, IServicePortObserver observer) : IOutlierSink
{
    public void Ejected(IPEndPoint endpoint, int failures, TimeSpan duration, int ejections)
    {
        inner?.Ejected(endpoint, failures, duration, ejections);
        observer.EndpointEjected(key, endpoint, failures, duration);
    }

    public void Returned(IPEndPoint endpoint, bool removed)
    {
        inner?.Returned(endpoint, removed);
        if (!removed)
        {
            observer.EndpointReturned(key, endpoint);
        }
    }
}

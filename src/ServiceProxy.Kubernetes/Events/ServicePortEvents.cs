using System.Net;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Events;

/// <summary>
/// The data plane's listen failures, ejections and returns as Events on the Service whose port it
/// is: a Warning <c>FailedListen</c>, a Warning <c>EndpointEjected</c>, a Normal <c>EndpointReturned</c>.
/// Only queues (the recorder never blocks), so it may be called under the data plane's locks.
/// </summary>
internal sealed class ServicePortEvents(IEventRecorder recorder) : IServicePortObserver
{
    public void ListenFailed(ServicePortKey key, string error) =>
        recorder.Record(Reference(key), EventComponents.Proxy, Event.Warning, "FailedListen", $"port {Port(key)}: {error}");

    public void EndpointEjected(ServicePortKey key, IPEndPoint endpoint, int failures, TimeSpan duration) =>
        recorder.Record(
            Reference(key),
            EventComponents.Proxy,
            Event.Warning,
            "EndpointEjected",
            $"endpoint {endpoint} of port {Port(key)} ejected for {Seconds(duration)} after {failures} failed connects in a row");

    public void EndpointReturned(ServicePortKey key, IPEndPoint endpoint) =>
        recorder.Record(Reference(key), EventComponents.Proxy, Event.Normal, "EndpointReturned", $"endpoint {endpoint} of port {Port(key)} returned to rotation");

    /// <summary>Go's duration text for whole seconds (<c>30s</c>, <c>5m0s</c>, <c>1h0m0s</c>).</summary>
    private static string Seconds(TimeSpan duration)
    {
        var total = (long)Math.Round(duration.TotalSeconds);
        var (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
        return h > 0 ? $"{h}h{m}m{s}s" : m > 0 ? $"{m}m{s}s" : $"{s}s";
    }

    private static ObjectReference Reference(ServicePortKey key) =>
        new() { Kind = "Service", ApiVersion = "v1", Namespace = key.Namespace, Name = key.Name };

    private static string Port(ServicePortKey key) =>
        string.IsNullOrEmpty(key.PortName) ? $"{key.Protocol.ToString().ToUpperInvariant()}" : $"{key.PortName}/{key.Protocol.ToString().ToUpperInvariant()}";
}

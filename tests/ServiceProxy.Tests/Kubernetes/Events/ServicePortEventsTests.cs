using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Events;

/// <summary>
/// The data plane's ejections, returns and listen failures, through the server's observer hook, as
/// Events on the Service whose port it is.
/// </summary>
public sealed class ServicePortEventsTests : IDisposable
{
    private static readonly IPEndPoint A = IPEndPoint.Parse("10.0.0.1:80");
    private static readonly IPEndPoint B = IPEndPoint.Parse("10.0.0.2:80");
    private static readonly ServicePortKey Key = new("shop", "web", "http", TransportProtocol.Tcp);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly EventStore _events;
    private readonly EventRecorder _recorder;

    public ServicePortEventsTests()
    {
        _events = new EventStore(new EventOptions(), _time);
        _recorder = new EventRecorder(new EventOptions(), _events, time: _time, run: false);
    }

    public void Dispose()
    {
        _recorder.Dispose();
        _events.Dispose();
    }

    [Fact]
    public void An_ejection_and_the_return_after_its_time_are_a_warning_and_a_normal_event_on_the_service()
    {
        var balancer = new RoundRobinBalancer(new BalancerOptions(), _time, new Random(7));
        balancer.Outliers.Sink = new ObservedOutlierSink(balancer.Outliers.Sink, Key, new ServicePortEvents(_recorder));
        balancer.Update([A, B], AffinityConfig.None, OutlierDetectionConfig.Default);

        for (var i = 0; i < OutlierDetectionConfig.Default.ConsecutiveFailures; i++)
        {
            balancer.ReportConnect(A, succeeded: false);
        }

        _time.Advance(OutlierDetectionConfig.Default.BaseEjectionTime);
        _recorder.ProcessQueued();

        var events = _events.List("shop").Items.OrderBy(e => e.Metadata.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal((Event.Warning, "EndpointEjected", "endpoint 10.0.0.1:80 of port http/TCP ejected for 30s after 5 failed connects in a row"), (events[0].Type, events[0].Reason, events[0].Message));
        Assert.Equal((Event.Normal, "EndpointReturned", "endpoint 10.0.0.1:80 of port http/TCP returned to rotation"), (events[1].Type, events[1].Reason, events[1].Message));
        Assert.All(events, e => Assert.Equal(("Service", "shop", "web", "svcproxy-proxy"), (e.InvolvedObject.Kind, e.InvolvedObject.Namespace, e.InvolvedObject.Name, e.Source!.Component)));
    }

    [Fact]
    public void A_listen_failure_is_a_warning_naming_the_port_and_the_error()
    {
        new ServicePortEvents(_recorder).ListenFailed(Key, "cannot listen on 127.0.0.1:80: AddressAlreadyInUse (Address already in use)");
        _recorder.ProcessQueued();

        var e = Assert.Single(_events.List().Items);
        Assert.Equal((Event.Warning, "FailedListen"), (e.Type, e.Reason));
        Assert.Equal("port http/TCP: cannot listen on 127.0.0.1:80: AddressAlreadyInUse (Address already in use)", e.Message);
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Udp;

public sealed class UdpSourceRangeTests
{
    private static Func<ServicePortConfig, ServicePortConfig> Allowing(string range) => config => config with
    {
        Listeners = [new ListenerConfig { ListenEndPoints = config.ListenEndPoints, AllowedSources = [IPNetwork.Parse(range)] }],
    };

    [Fact]
    public async Task A_client_outside_the_listeners_allowed_sources_opens_no_session_and_its_datagram_is_counted_dropped()
    {
        await using var port = await UdpTestPort.StartAsync(configure: Allowing("10.0.0.0/8"));
        using var dropped = new MetricCollector<long>(port.Meters.Meter!, "serviceproxy.udp.datagrams.dropped");
        var listener = port.Proxy.Listeners[0];
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        await port.Proxy.ForwardFromClientAsync(listener, new byte[10], client.LocalEndPoint!.Serialize());

        Assert.Equal(0, port.Proxy.SessionCount);
        var measurement = Assert.Single(dropped.GetMeasurementSnapshot());
        Assert.Equal("source_not_allowed", measurement.Tags["serviceproxy.reason"]);
    }

    [Fact]
    public async Task A_client_inside_them_is_forwarded()
    {
        await using var port = await UdpTestPort.StartAsync(configure: Allowing("127.0.0.0/8"));
        var listener = port.Proxy.Listeners[0];
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        await port.Proxy.ForwardFromClientAsync(listener, new byte[10], client.LocalEndPoint!.Serialize());

        Assert.Equal(1, port.Proxy.SessionCount);
    }

    [Fact]
    public async Task A_client_in_the_cluster_sources_opens_its_flow_to_the_ports_endpoints_and_others_to_the_groups()
    {
        using var local = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        local.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var localPod = (IPEndPoint)local.LocalEndPoint!;
        await using var port = await UdpTestPort.StartAsync(configure: config => config with
        {
            Listeners = [new ListenerConfig { ListenEndPoints = config.ListenEndPoints, Endpoints = [localPod], ClusterSources = [IPNetwork.Parse("127.0.0.2/32")] }],
        });
        var listener = port.Proxy.Listeners[0];

        foreach (var source in new[] { "127.0.0.2", "127.0.0.3" })
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            client.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await port.Proxy.ForwardFromClientAsync(listener, new byte[10], client.LocalEndPoint!.Serialize());
        }

        var flows = new Dictionary<string, IPEndPoint>();
        port.Proxy.Sessions.RemoveWhere(session => { flows[session.Client.Address.ToString()] = session.Endpoint; return false; }, []);
        Assert.Equal(port.Config.Endpoints[0], flows["127.0.0.2"]);
        Assert.Equal(localPod, flows["127.0.0.3"]);
    }
}

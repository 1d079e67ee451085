using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ServiceProxy.Udp;

namespace ServiceProxy.Tests.Udp;

public sealed class UdpForwardingTests
{
    [Fact]
    public async Task Forwarding_on_an_open_session_allocates_nothing_per_datagram()
    {
        const int Datagrams = 10_000;

        // A silent endpoint: echoed replies would make the session's loop send on the listen socket
        // at the same time as this test, and the runtime allocates an operation for a contended send.
        await using var port = await UdpTestPort.StartAsync(echo: false);
        var listener = port.Proxy.Listeners[0];
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var clientAddress = client.LocalEndPoint!.Serialize();
        var datagram = new byte[200];

        // The benchmark seam: one call forwards one datagram. The first one opens the session.
        await port.Proxy.ForwardFromClientAsync(listener, datagram, clientAddress);
        Assert.True(port.Proxy.Sessions.TryGet(UdpSessionKey.From(listener.Index, clientAddress), out var session));
        for (var i = 0; i < 100; i++)
        {
            await port.Proxy.ForwardFromClientAsync(listener, datagram, clientAddress);
            await port.Proxy.ForwardToClientAsync(session, datagram);
        }

        var pending = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Datagrams; i++)
        {
            // Loopback sends complete synchronously; no await keeps the count on this thread.
            pending += port.Proxy.ForwardFromClientAsync(listener, datagram, clientAddress).IsCompletedSuccessfully ? 0 : 1;
            pending += port.Proxy.ForwardToClientAsync(session, datagram).IsCompletedSuccessfully ? 0 : 1;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, pending);
        Assert.True(allocated < 1024, $"{allocated} bytes for {2 * Datagrams} datagrams");
        Assert.Equal(Datagrams + 101, session.DatagramsToEndpoint);
        Assert.Equal(Datagrams + 100, session.DatagramsToClient);
        Assert.Equal(1, port.Proxy.SessionCount);
    }

    [Fact]
    public async Task A_closed_session_writes_one_access_log_line()
    {
        var logger = new FakeLogger();
        await using var port = await UdpTestPort.StartAsync(new ServiceProxyOptions { AccessLog = true }, logger);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var reply = new byte[100];
        for (var i = 0; i < 2; i++)
        {
            await client.SendToAsync("hello"u8.ToArray(), SocketFlags.None, port.EndPoint, timeout.Token);
            var received = await client.ReceiveFromAsync(reply, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            Assert.Equal(5, received.ReceivedBytes);
        }

        await port.Proxy.StopAsync(TimeSpan.Zero, CancellationToken.None);

        var line = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 204);
        Assert.Equal(LogLevel.Information, line.Level);
        var state = line.StructuredState!.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(client.LocalEndPoint!.ToString(), state["Client"]);
        Assert.Equal("kube-system/kube-dns:dns", state["Service"]);
        Assert.Equal(port.Config.Endpoints[0].ToString(), state["Endpoint"]);
        Assert.Equal("2", state["DatagramsToEndpoint"]);
        Assert.Equal("10", state["BytesToEndpoint"]);
        Assert.Equal("2", state["DatagramsToClient"]);
        Assert.Equal("10", state["BytesToClient"]);
        Assert.Equal("stopped", state["Reason"]);
        Assert.True(state.ContainsKey("DurationMs"));
    }

    [Fact]
    public async Task Metrics_count_sessions_datagrams_bytes_and_drops_with_service_tags()
    {
        await using var port = await UdpTestPort.StartAsync();
        var meter = port.Meters.Meter!;
        using var active = new MetricCollector<long>(meter, "serviceproxy.udp.sessions.active");
        using var datagrams = new MetricCollector<long>(meter, "serviceproxy.udp.datagrams");
        using var bytes = new MetricCollector<long>(meter, "serviceproxy.udp.bytes");
        using var dropped = new MetricCollector<long>(meter, "serviceproxy.udp.datagrams.dropped");
        using var closed = new MetricCollector<long>(meter, "serviceproxy.udp.sessions.closed");
        var listener = port.Proxy.Listeners[0];
        var client = IPEndPoint.Parse("127.0.0.1:9").Serialize(); // discard port: answers go nowhere

        await port.Proxy.ForwardFromClientAsync(listener, new byte[300], client);
        await port.Proxy.ForwardFromClientAsync(listener, new byte[UdpListener.BufferSize], client);
        port.Proxy.Update(port.Config with { Endpoints = [] });
        await port.Proxy.ForwardFromClientAsync(listener, new byte[10], client);

        var upstream = datagrams.GetMeasurementSnapshot().Where(m => (string?)m.Tags["serviceproxy.direction"] == "upstream").ToList();
        var sent = Assert.Single(upstream);
        Assert.Equal(1, sent.Value);
        Assert.Equal("kube-system", sent.Tags["k8s.namespace.name"]);
        Assert.Equal("kube-dns", sent.Tags["k8s.service.name"]);
        Assert.Equal("dns", sent.Tags["serviceproxy.port.name"]);
        Assert.Contains(bytes.GetMeasurementSnapshot(), m => m.Value == 300 && (string?)m.Tags["serviceproxy.direction"] == "upstream");
        Assert.Equal([1L, -1L], active.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal("endpoint_removed", Assert.Single(closed.GetMeasurementSnapshot()).Tags["serviceproxy.reason"]);
        Assert.Equal(
            ["too_large", "no_endpoints"],
            dropped.GetMeasurementSnapshot().Select(m => (string?)m.Tags["serviceproxy.reason"]));
    }

    [Fact]
    public async Task The_receive_loop_survives_a_client_that_vanished()
    {
        await using var port = await UdpTestPort.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // Answers to a closed client draw ICMP port unreachable aimed at the listen socket.
        for (var i = 0; i < 20; i++)
        {
            using var gone = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            gone.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await gone.SendToAsync(new byte[8], SocketFlags.None, port.EndPoint, timeout.Token);
        }

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendToAsync("alive"u8.ToArray(), SocketFlags.None, port.EndPoint, timeout.Token);
        var reply = new byte[16];
        var received = await client.ReceiveFromAsync(reply, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);

        Assert.Equal("alive"u8.ToArray(), reply.AsSpan(0, received.ReceivedBytes).ToArray());
    }

    [Fact]
    public async Task A_send_queued_on_the_ring_and_refused_drops_its_datagram_and_an_icmp_error_marks_the_session()
    {
        await using var port = await UdpTestPort.StartAsync(echo: false);
        var meter = port.Meters.Meter!;
        using var dropped = new MetricCollector<long>(meter, "serviceproxy.udp.datagrams.dropped");
        using var closed = new MetricCollector<long>(meter, "serviceproxy.udp.sessions.closed");
        var listener = port.Proxy.Listeners[0];
        var first = IPEndPoint.Parse("127.0.0.1:9").Serialize();
        var second = IPEndPoint.Parse("127.0.0.2:9").Serialize();
        await port.Proxy.ForwardFromClientAsync(listener, new byte[10], first);
        await port.Proxy.ForwardFromClientAsync(listener, new byte[10], second);
        Assert.True(port.Proxy.Sessions.TryGet(UdpSessionKey.From(listener.Index, first), out var unreachable));
        Assert.True(port.Proxy.Sessions.TryGet(UdpSessionKey.From(listener.Index, second), out var busy));

        port.Proxy.OnQueuedSendRefused(unreachable, SocketError.ConnectionRefused); // the endpoint's ICMP error
        port.Proxy.OnQueuedSendRefused(busy, SocketError.NoBufferSpaceAvailable); // the socket's buffer was full
        port.Proxy.OnQueuedSendRefused(null, SocketError.ConnectionRefused); // an answer to a client that went away

        Assert.Equal(
            ["unreachable", "send_failed", "client_unreachable"],
            dropped.GetMeasurementSnapshot().Select(m => (string?)m.Tags["serviceproxy.reason"]));
        Assert.True(unreachable.IsClosed);
        Assert.Equal(UdpCloseReason.Unreachable, unreachable.CloseReason);
        Assert.Equal("unreachable", Assert.Single(closed.GetMeasurementSnapshot()).Tags["serviceproxy.reason"]);
        Assert.False(busy.IsClosed);
    }
}

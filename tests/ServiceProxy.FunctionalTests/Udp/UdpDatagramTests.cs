using System.Net;
using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Tcp;
using ServiceProxy.Udp;

namespace ServiceProxy.FunctionalTests.Udp;

public sealed class UdpDatagramTests
{
    [Theory]
    [InlineData(RelayEngine.IoUring, true)]
    [InlineData(RelayEngine.Splice, false)]
    public async Task On_a_loop_with_an_io_uring_the_listener_and_its_sessions_are_read_through_the_ring(RelayEngine engine, bool onRing)
    {
        await using var echo = new UdpTestBackend("echo", tagReplies: false);
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: Engines.Options(engine));
        using var client = new UdpTestClient();

        await client.SendAsync(proxy.EndPoint, "ping");
        var (reply, _) = await client.ReceiveAsync();

        Assert.Equal("ping"u8.ToArray(), reply);
        var listener = proxy.Proxy.Listeners[0];
        Assert.Equal(onRing, listener.LoopReceiver!.OnRing);
        Assert.True(proxy.Proxy.Sessions.TryGet(UdpSessionKey.From(listener.Index, client.Socket.LocalEndPoint!.Serialize()), out var session));
        Assert.Equal(onRing, session.LoopReceiver!.OnRing);
    }

    [Theory]
    [MemberData(nameof(Engines.Udp), MemberType = typeof(Engines))]
    public async Task A_65507_byte_datagram_arrives_intact_both_ways(RelayEngine engine)
    {
        await using var echo = new UdpTestBackend("echo", tagReplies: false);
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: Engines.Options(engine));
        using var client = new UdpTestClient();
        var payload = new byte[65_507];
        new Random(7).NextBytes(payload);

        await client.SendAsync(proxy.EndPoint, payload);
        var (reply, from) = await client.ReceiveAsync();

        Assert.Equal(proxy.EndPoint, from);
        Assert.Equal(payload.Length, reply.Length);
        Assert.True(payload.AsSpan().SequenceEqual(reply), "payload changed on the way");
        Assert.Equal(1, echo.Received);
    }

    [Theory]
    [MemberData(nameof(Engines.Udp), MemberType = typeof(Engines))]
    public async Task Zero_length_datagrams_are_forwarded_both_ways(RelayEngine engine)
    {
        await using var echo = new UdpTestBackend("echo", tagReplies: false);
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: Engines.Options(engine));
        using var client = new UdpTestClient();

        await client.SendAsync(proxy.EndPoint, ReadOnlyMemory<byte>.Empty);
        var (reply, _) = await client.ReceiveAsync();
        await client.SendAsync(proxy.EndPoint, "after");
        var (next, _) = await client.ReceiveAsync();

        Assert.Empty(reply);
        Assert.Equal("after"u8.ToArray(), next);
    }

    [Theory]
    [MemberData(nameof(Engines.Udp), MemberType = typeof(Engines))]
    public async Task Datagrams_of_every_size_keep_their_boundaries(RelayEngine engine)
    {
        await using var echo = new UdpTestBackend("echo", tagReplies: false);
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], options: Engines.Options(engine));
        using var client = new UdpTestClient();
        var random = new Random(11);

        foreach (var size in new[] { 1, 512, 4096, 4097, 8192, 32_768, 65_000 })
        {
            var payload = new byte[size];
            random.NextBytes(payload);
            await client.SendAsync(proxy.EndPoint, payload);
            var (reply, _) = await client.ReceiveAsync();
            Assert.True(payload.AsSpan().SequenceEqual(reply), $"{size}-byte datagram changed");
        }
    }

    [Theory]
    [MemberData(nameof(Engines.Udp), MemberType = typeof(Engines))]
    public async Task Many_clients_get_every_answer(RelayEngine engine)
    {
        const int Clients = 50;
        const int Requests = 200;
        await using var a = new UdpTestBackend("a");
        await using var b = new UdpTestBackend("b");
        await using var c = new UdpTestBackend("c");
        await using var proxy = await UdpProxyHarness.StartAsync([a.EndPoint, b.EndPoint, c.EndPoint], options: Engines.Options(engine));
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var answered = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async n =>
        {
            using var client = new UdpTestClient();
            string? servedBy = null;
            var count = 0;
            for (var i = 0; i < Requests && !budget.IsCancellationRequested; i++)
            {
                // A DNS-like exchange: each query waits for its own answer.
                var id = await client.AskAsync(proxy.EndPoint, $"q{n}.{i}");
                servedBy ??= id;
                Assert.Equal(servedBy, id);
                count++;
            }

            return count;
        }));

        Assert.All(answered, count => Assert.Equal(Requests, count));
        Assert.Equal(Clients * Requests, a.Received + b.Received + c.Received);
        Assert.Equal(Clients, proxy.Proxy.SessionCount);
    }

    [Fact]
    public async Task A_listen_address_in_use_is_reported_and_the_others_serve()
    {
        await using var echo = new UdpTestBackend("a");
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var taken = (IPEndPoint)squatter.LocalEndPoint!;

        await using var proxy = await UdpProxyHarness.StartAsync(
            [echo.EndPoint],
            listen: [new IPEndPoint(IPAddress.Loopback, 0), taken]);

        var status = proxy.Proxy.Status;
        Assert.Single(status.Listening);
        var error = Assert.Single(status.Errors);
        Assert.Contains(taken.ToString(), error);
        Assert.Contains(nameof(SocketError.AddressAlreadyInUse), error);

        using var client = new UdpTestClient();
        Assert.Equal("a", await client.AskAsync(status.Listening[0], "still-works"));
    }

    [Fact]
    public async Task Without_endpoints_datagrams_are_dropped_and_the_socket_keeps_listening()
    {
        await using var echo = new UdpTestBackend("a");
        await using var proxy = await UdpProxyHarness.StartAsync([]);
        using var client = new UdpTestClient();

        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(proxy.EndPoint, "lost");
        }

        await UdpProxyHarness.WaitUntilAsync(
            () => proxy.Measured("serviceproxy.udp.datagrams.dropped/no_endpoints") == 5, "5 datagrams dropped");
        Assert.Equal(0, proxy.Proxy.SessionCount);

        proxy.UpdateEndpoints([echo.EndPoint]);

        Assert.Equal("a", await client.AskAsync(proxy.EndPoint, "found"));
        Assert.Equal(1, echo.Received);
        Assert.Equal(1, proxy.Measured("serviceproxy.udp.datagrams/upstream"));
        // The reply is counted once its send returned, which can be after the client has it.
        await UdpProxyHarness.WaitUntilAsync(() => proxy.Measured("serviceproxy.udp.datagrams/downstream") == 1, "the reply counted");
        Assert.Equal(1, proxy.Measured("serviceproxy.udp.datagrams/downstream"));
    }

    [Fact]
    public async Task An_IPv6_listen_address_serves_IPv6_clients()
    {
        await using var echo = new UdpTestBackend("a");
        await using var proxy = await UdpProxyHarness.StartAsync([echo.EndPoint], listen: [new IPEndPoint(IPAddress.IPv6Loopback, 0)]);
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        using var timeout = new CancellationTokenSource(UdpTestClient.ReplyTimeout);
        var reply = new byte[64];

        await client.SendToAsync("six"u8.ToArray(), SocketFlags.None, proxy.EndPoint, timeout.Token);
        var received = await client.ReceiveFromAsync(reply, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0), timeout.Token);

        Assert.Equal("six|a"u8.ToArray(), reply.AsSpan(0, received.ReceivedBytes).ToArray());
        Assert.Equal(proxy.EndPoint, received.RemoteEndPoint);
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.FunctionalTests.Tcp;

/// <summary>Accepting on the event loops, over real sockets.</summary>
public sealed class LoopAcceptorTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Clients_are_accepted_on_the_loops_as_dotnet_would_accept_them(string address)
    {
        if (!Libc.IsSupported || (address == "::1" && !Socket.OSSupportsIPv6))
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = Listen(IPAddress.Parse(address));
        var accepted = new ConcurrentQueue<(Socket Socket, bool OnLoop)>();
        var nonBlocking = new ConcurrentQueue<(bool Claimed, bool Actual)>();
        using var loops = new EventLoopGroup(new EventLoopOptions { Count = 2 });
        var acceptor = LoopAcceptor.TryStart(listener, loops, s =>
        {
            // Read as handed over: the splice relay skips setting O_NONBLOCK when the socket says it is set.
            var flags = Libc.Fcntl((int)s.Socket.SafeHandle.DangerousGetHandle(), Libc.F_GETFL, 0);
            nonBlocking.Enqueue((s.NonBlocking, flags >= 0 && (flags & Libc.O_NONBLOCK) != 0));
            accepted.Enqueue((s.Socket, s.Loop?.IsCurrent == true));
        }, _ => { }, TimeProvider.System);
        Assert.NotNull(acceptor);
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var client = new Socket(listener.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(listener.LocalEndPoint!, cts.Token);
            }

            await ProxyHarness.WaitUntilAsync(() => accepted.Count == clients.Count, timeoutMs: 10_000);
            Assert.Equal(clients.Count, accepted.Count);
            Assert.All(nonBlocking, n => Assert.Equal((true, true), n));
            var byRemote = accepted.ToDictionary(a => (IPEndPoint)a.Socket.RemoteEndPoint!);
            foreach (var client in clients)
            {
                var (server, onLoop) = byRemote[(IPEndPoint)client.LocalEndPoint!];
                Assert.True(onLoop, "accepted off the event loops");
                Assert.Equal(listener.AddressFamily, server.AddressFamily);
                Assert.Equal(SocketType.Stream, server.SocketType);
                Assert.Equal(listener.LocalEndPoint, server.LocalEndPoint);
                Assert.True(server.Connected);

                // The accepted socket is a working .NET socket: bytes both ways.
                await client.SendAsync(new byte[] { 42 }, SocketFlags.None, cts.Token);
                Assert.Equal([42], await Loopback.ReadExactlyAsync(server, 1, cts.Token));
                await server.SendAsync(new byte[] { 7 }, SocketFlags.None, cts.Token);
                Assert.Equal([7], await Loopback.ReadExactlyAsync(client, 1, cts.Token));
            }

            Assert.True(acceptor.UsesAcceptAccessor, "the runtime's accept-socket constructor was not found: accepts cost extra syscalls");
        }
        finally
        {
            acceptor!.Stop();
            foreach (var (socket, _) in accepted)
            {
                socket.Dispose();
            }

            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task After_stop_the_address_is_free_at_once_and_nothing_more_is_accepted()
    {
        if (!Libc.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = Listen(IPAddress.Loopback);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var accepted = 0;
        using var loops = new EventLoopGroup(new EventLoopOptions());
        var acceptor = LoopAcceptor.TryStart(listener, loops, s => { Interlocked.Increment(ref accepted); s.Socket.Dispose(); }, _ => { }, TimeProvider.System);
        Assert.NotNull(acceptor);
        using (var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await first.ConnectAsync(endPoint, cts.Token);
            await ProxyHarness.WaitUntilAsync(() => Volatile.Read(ref accepted) == 1, timeoutMs: 10_000);
        }

        acceptor!.Stop();
        listener.Dispose();

        // A successor binds the same address with nothing in between, as a reloaded port does.
        using var successor = Listen(IPAddress.Loopback, endPoint.Port);
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await late.ConnectAsync(endPoint, cts.Token);
        using var taken = await successor.AcceptAsync(cts.Token);
        Assert.Equal(late.LocalEndPoint, taken.RemoteEndPoint);
        Assert.Equal(1, Volatile.Read(ref accepted));
    }

    [Theory]
    [InlineData(true)]  // the default: the loops accept
    [InlineData(false)] // .NET's socket thread accepts and hands each client to a loop
    public async Task A_proxy_relays_many_clients_and_releases_its_port_on_stop_whichever_thread_accepts(bool acceptOnEventLoops)
    {
        if (!Libc.IsSupported)
        {
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var backend = TestBackend.Echo();
        var proxy = await ProxyHarness.StartAsync([backend.EndPoint], ProxyHarness.Engine(ServiceProxy.Tcp.RelayEngine.Splice, o => o.Tcp.AcceptOnEventLoops = acceptOnEventLoops));
        var endPoint = proxy.EndPoint;
        try
        {
            // 50 clients at once, each sending its own bytes and half-closing: every echo is exact.
            var clients = Enumerable.Range(0, 50).Select(async i =>
            {
                using var client = await Loopback.ConnectAsync(endPoint, ct);
                var payload = new byte[4096 + i];
                new Random(i).NextBytes(payload);
                await client.SendAsync(payload, SocketFlags.None, ct);
                client.Shutdown(SocketShutdown.Send);
                var echoed = await Loopback.ReadExactlyAsync(client, payload.Length, ct);
                Assert.Equal(payload, echoed);
                Assert.Equal(0, await client.ReceiveAsync(new byte[1], SocketFlags.None, ct)); // the backend's FIN came through
            });
            await Task.WhenAll(clients);
            await ProxyHarness.WaitUntilAsync(() => proxy.PortProxy.Status.ActiveConnections == 0, timeoutMs: 10_000);
            Assert.Equal(0, proxy.PortProxy.Status.ActiveConnections);
        }
        finally
        {
            await proxy.DisposeAsync();
        }

        // Stopped: the address is free for a successor at once.
        using var successor = Listen(endPoint.Address, endPoint.Port);
        Assert.Equal(endPoint, successor.LocalEndPoint);
    }

    private static Socket Listen(IPAddress address, int port = 0)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(address, port));
        socket.Listen(64);
        return socket;
    }
}

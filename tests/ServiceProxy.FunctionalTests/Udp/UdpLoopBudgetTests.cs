using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;
using ServiceProxy.Udp;

namespace ServiceProxy.FunctionalTests.Udp;

/// <summary>
/// A flooded UDP socket gives up its event loop after a budget of datagrams, so the loop's other
/// sockets, dials and aborts are served in between, and what is left is still read without a new
/// edge. Deterministic: the loop is held while the datagrams queue, and a probe registered with the
/// same loop becomes ready after them; the probe records how many had been forwarded when its turn came.
/// </summary>
public sealed class UdpLoopBudgetTests
{
    private const int Queued = 100;
    private const int Budget = 16;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_flooded_socket_yields_its_loop_after_a_budget_and_still_forwards_everything(bool fromEndpoint)
    {
        if (!EventLoopGroup.IsSupported)
        {
            return; // .NET's socket engine reads there: no shared loop to starve
        }

        using var endpoint = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        endpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = await UdpProxyHarness.StartAsync([(IPEndPoint)endpoint.LocalEndPoint!]);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        client.Connect(proxy.EndPoint);
        client.Send(new byte[16]);

        // The session's socket: where the endpoint's answers go. It lives on the listener's loop.
        var buffer = new byte[64];
        EndPoint session = new IPEndPoint(IPAddress.Any, 0);
        endpoint.ReceiveTimeout = 5_000;
        endpoint.ReceiveFrom(buffer, ref session);
        var counter = fromEndpoint ? "serviceproxy.udp.datagrams/downstream" : "serviceproxy.udp.datagrams/upstream";
        var before = fromEndpoint ? 0 : 1;
        await UdpProxyHarness.WaitUntilAsync(() => proxy.Measured(counter) == before, "the first datagram is counted");

        var loop = proxy.Proxy.Listeners[0].LoopReceiver!.Loop;
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var forwardedAtProbe = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var holder = new LoopProbe(loop, () =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(10));
        });
        using var probe = new LoopProbe(loop, () => forwardedAtProbe.TrySetResult(proxy.Measured(counter)));
        holder.Signal();
        Assert.True(entered.Wait(TimeSpan.FromSeconds(5)), "the loop never ran the holder");

        // Loopback delivers each datagram into the proxy's socket before send returns: all are
        // queued (one readiness edge) before the probe's own edge.
        for (var i = 0; i < Queued; i++)
        {
            if (fromEndpoint)
            {
                endpoint.SendTo(new byte[16], session);
            }
            else
            {
                client.Send(new byte[16]);
            }
        }

        probe.Signal();
        release.Set();
        var atProbe = await forwardedAtProbe.Task.WaitAsync(TimeSpan.FromSeconds(10)) - before;

        Assert.True(atProbe <= Budget, $"{atProbe} of {Queued} queued datagrams were forwarded before the loop served anything else");
        await UdpProxyHarness.WaitUntilAsync(() => proxy.Measured(counter) == before + Queued, $"all {Queued} datagrams are forwarded (now {proxy.Measured(counter) - before})");
    }

    /// <summary>An eventfd registered with <paramref name="loop"/>: <see cref="Signal"/> makes the loop run <paramref name="onReady"/> at its next pass.</summary>
    private sealed class LoopProbe : LoopEntry, IDisposable
    {
        private readonly EventLoop _loop;
        private readonly Action _onReady;
        private readonly int _fd;

        public LoopProbe(EventLoop loop, Action onReady)
        {
            _loop = loop;
            _onReady = onReady;
            _fd = Libc.EventFd(0, Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            Assert.True(_fd >= 0 && loop.Register(this, _fd, Libc.EPOLLIN | Libc.EPOLLET, side: 0), "cannot register the probe");
        }

        public void Signal() => Libc.EventFdSignal(_fd);

        public override void OnEvents(int side, uint events)
        {
            Libc.EventFdDrain(_fd);
            _onReady();
        }

        public override void OnCommand()
        {
        }

        public void Dispose()
        {
            _loop.Unregister(_fd);
            _loop.Remove(this);
            Libc.Close(_fd);
        }
    }
}

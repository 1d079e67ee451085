using System.Net.Sockets;
using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class TcpProxyOptionsTests
{
    [Fact]
    public void Defaults_match_kube_proxy_and_the_documented_bounds()
    {
        var options = new TcpProxyOptions();

        Assert.Equal([250, 500, 1000, 2000], options.ConnectTimeouts.Select(t => t.TotalMilliseconds));
        Assert.Equal(TimeSpan.FromHours(1), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), options.HalfClosedTimeout);
        Assert.Equal(64 * 1024, options.MaxBufferPerDirection);
        Assert.Equal(RelayEngine.IoUring, options.Engine);
    }

    [Theory]
    [InlineData(3600_000, 60_000, 1000)] // defaults: once a second
    [InlineData(0, 400, 100)] // a quarter of the shortest
    [InlineData(0, 0, 0)] // no timeouts, no timer
    [InlineData(20, 0, 10)] // never faster than 10 ms
    public void The_timeout_sweep_runs_at_a_quarter_of_the_shortest_timeout_within_10ms_and_1s(int idleMs, int halfClosedMs, int expectedMs)
    {
        var options = new TcpProxyOptions
        {
            IdleTimeout = TimeSpan.FromMilliseconds(idleMs),
            HalfClosedTimeout = TimeSpan.FromMilliseconds(halfClosedMs),
        };

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), TcpServicePortProxy.SweepPeriod(options));
    }

    [Theory]
    [InlineData(SocketError.ConnectionReset, false, true, "ClientReset")]
    [InlineData(SocketError.ConnectionReset, true, true, "BackendReset")]
    [InlineData(SocketError.ConnectionReset, false, false, "BackendReset")]
    [InlineData(SocketError.Shutdown, true, false, "ClientReset")]
    [InlineData(SocketError.TimedOut, true, false, "Error")]
    public void A_relay_failure_names_the_side_that_failed(SocketError error, bool onTarget, bool upstream, string expected)
    {
        var direction = upstream ? RelayDirection.Upstream : RelayDirection.Downstream;
        Assert.Equal(Enum.Parse<TcpCloseReason>(expected), RelayFailure.Reason(new SocketException((int)error), onTarget, direction));
    }
}

using CsCheck;

namespace ServiceProxy.Tests;

public sealed class ConnectionBudgetTests
{
    [Theory]
    [InlineData(300, 177, 13)] // (300 - 177 - 96) / 2
    [InlineData(1_048_576, 200, 524_140)]
    [InlineData(65_536, 150, 32_645)]
    [InlineData(20_000, 150, 9_877)] // this machine's hard limit: 9 000 connections fit, pipes or not
    public void The_default_is_what_the_descriptors_left_after_the_reserve_fit(long limit, int open, int expected) =>
        Assert.Equal(expected, ConnectionBudget.Derive(limit, open));

    [Fact]
    public void A_limit_too_low_for_the_reserve_still_admits_one_and_an_unknown_limit_admits_all()
    {
        Assert.Equal(1, ConnectionBudget.Derive(100, 90));
        Assert.Equal(int.MaxValue, ConnectionBudget.Derive(null, 90));
    }

    [Fact]
    public void Connections_and_their_pipes_stay_within_the_descriptors_left_after_the_reserve()
    {
        Gen.Select(Gen.Long[400, 10_000_000], Gen.Int[0, 300]).Sample((limit, open) =>
        {
            var connections = ConnectionBudget.Derive(limit, open);
            return connections >= 1 && 2L * connections <= limit - open - ConnectionBudget.ReservedDescriptors;
        });
    }

    [Fact]
    public void Pipes_and_connections_share_the_descriptors()
    {
        var budget = new ConnectionBudget(10); // 20 descriptors
        for (var i = 0; i < 9; i++)
        {
            Assert.True(budget.TryAcquireConnection());
        }

        Assert.True(budget.TryAcquirePipe()); // the last two descriptors
        Assert.False(budget.TryAcquireConnection());
        Assert.False(budget.TryAcquirePipe());

        budget.ReleasePipe();
        Assert.True(budget.TryAcquireConnection());
        Assert.Equal(20, budget.Descriptors);
    }

    [Fact]
    public async Task Concurrent_acquires_never_admit_more_than_the_max()
    {
        var budget = new ConnectionBudget(50);
        var admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (budget.TryAcquireConnection())
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));

        Assert.Equal(50, admitted);
        Assert.Equal(100, budget.Descriptors);
        budget.ReleaseConnection();
        Assert.True(budget.TryAcquireConnection());
        Assert.False(budget.TryAcquireConnection());
    }

    [Fact]
    public void A_udp_session_takes_one_of_the_descriptors_a_tcp_connection_takes_two_of()
    {
        var budget = new ConnectionBudget(3); // six descriptors
        Assert.True(budget.TryAcquireConnection());
        Assert.True(budget.TryAcquireConnection());
        Assert.True(budget.TryAcquireSession());
        Assert.False(budget.TryAcquireConnection()); // one descriptor left: not enough for a connection
        Assert.True(budget.TryAcquireSession());
        Assert.False(budget.TryAcquireSession());
        Assert.Equal(6, budget.Descriptors);
        Assert.Equal(2, budget.Sessions);
        budget.ReleaseSession();
        budget.ReleaseSession();
        Assert.True(budget.TryAcquireConnection());
        Assert.Equal(0, budget.Sessions);
    }

    [Fact]
    public void Udp_sessions_take_at_most_half_of_the_descriptors_so_tcp_clients_keep_the_rest()
    {
        var budget = new ConnectionBudget(4); // eight descriptors
        for (var i = 0; i < 4; i++)
        {
            Assert.True(budget.TryAcquireSession());
        }

        Assert.False(budget.TryAcquireSession());
        Assert.Equal(4, budget.Descriptors);
        Assert.True(budget.TryAcquireConnection());
        Assert.True(budget.TryAcquireConnection());
        Assert.False(budget.TryAcquireConnection());
    }

    [Fact]
    public async Task Concurrent_tcp_and_udp_takers_never_exceed_the_descriptors_nor_udp_its_half()
    {
        var budget = new ConnectionBudget(25);
        var descriptors = 0L;
        var sessions = 0L;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (t % 2 == 0 && budget.TryAcquireConnection())
                {
                    Interlocked.Add(ref descriptors, 2);
                }
                else if (t % 2 == 1 && budget.TryAcquireSession())
                {
                    Interlocked.Increment(ref descriptors);
                    Interlocked.Increment(ref sessions);
                }
            }
        })));

        Assert.InRange(descriptors, 49, 50); // a TCP taker may find only one left
        Assert.InRange(sessions, 0, 25);
        Assert.Equal(descriptors, budget.Descriptors);
        Assert.Equal(sessions, budget.Sessions);
    }
}

using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class SplicePipePoolTests
{
    [Fact]
    public void Past_the_cap_no_pipe_is_created_and_closed_pipes_free_their_slots()
    {
        var pipes = new SplicePipes { MaxOpen = 2 };
        var pool = new SplicePipePool(64 * 1024, maxIdle: 0, pipes);
        var first = pool.Rent();
        var second = pool.Rent();
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(pool.Rent());
        Assert.Equal(2, pipes.Open);

        pool.Return(first); // maxIdle 0: closed, not kept
        var third = pool.Rent();
        Assert.NotNull(third);

        pool.Discard(second);
        pool.Discard(third);
        Assert.Equal(0, pipes.Open);
        Assert.Equal(0, pipes.InUse);
        Assert.Equal(3, pipes.Rented);
    }

    [Fact]
    public void Two_groups_count_their_pipes_apart()
    {
        using var one = new EventLoopGroup(new EventLoopOptions { Count = 1 });
        using var other = new EventLoopGroup(new EventLoopOptions { Count = 1 });
        one.Pipes.MaxOpen = 1;
        var pool = new SplicePipePool(64 * 1024, maxIdle: 0, one.Pipes);
        var pipe = pool.Rent();
        Assert.NotNull(pipe);

        Assert.Equal(1, one.Pipes.Open);
        Assert.Equal(0, other.Pipes.Open);
        Assert.Equal(long.MaxValue, other.Pipes.MaxOpen);
        pool.Discard(pipe);
    }

    [Fact]
    public void A_pipe_takes_two_descriptors_of_the_connection_budget_while_open()
    {
        var budget = new ConnectionBudget(2); // 4 descriptors
        var pipes = new SplicePipes { Budget = budget };
        var pool = new SplicePipePool(64 * 1024, maxIdle: 0, pipes);
        Assert.True(budget.TryAcquireConnection());
        Assert.True(budget.TryAcquireConnection());

        Assert.Null(pool.Rent()); // no descriptor left: the direction copies instead
        Assert.Equal(0, pipes.Open);

        budget.ReleaseConnection();
        var pipe = pool.Rent();
        Assert.NotNull(pipe);
        Assert.Equal(4, budget.Descriptors);
        Assert.False(budget.TryAcquireConnection());

        pool.Return(pipe); // maxIdle 0: closed, its descriptors back in the budget
        Assert.Equal(2, budget.Descriptors);
        Assert.True(budget.TryAcquireConnection());
    }
}

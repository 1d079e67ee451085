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
}

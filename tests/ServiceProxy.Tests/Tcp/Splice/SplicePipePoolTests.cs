using ServiceProxy.Tcp.Splice;

namespace ServiceProxy.Tests.Tcp.Splice;

public sealed class SplicePipePoolTests
{
    [Fact]
    public void Past_the_process_wide_cap_no_pipe_is_created_and_closed_pipes_free_their_slots()
    {
        var savedMax = SplicePipePool.MaxOpen;
        try
        {
            SplicePipePool.MaxOpen = SplicePipePool.Open + 2;
            var pool = new SplicePipePool(64 * 1024, maxIdle: 0);
            var first = pool.Rent();
            var second = pool.Rent();
            Assert.NotNull(first);
            Assert.NotNull(second);
            Assert.Null(pool.Rent());

            pool.Return(first); // maxIdle 0: closed, not kept
            var third = pool.Rent();
            Assert.NotNull(third);

            SplicePipePool.Discard(second);
            SplicePipePool.Discard(third);
        }
        finally
        {
            SplicePipePool.MaxOpen = savedMax;
        }
    }
}

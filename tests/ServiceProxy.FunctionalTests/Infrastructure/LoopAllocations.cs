using ServiceProxy.Internal.Linux;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>
/// Bytes the event loop threads have allocated so far, read on each loop's own thread by a command
/// queued to it: what the data path on the loops allocates, apart from the test's own threads.
/// </summary>
internal static class LoopAllocations
{
    public static async Task<long> MeasureAsync(EventLoopGroup loops)
    {
        var total = 0L;
        foreach (var loop in loops.Loops)
        {
            var probe = new Probe();
            loop.EnqueueCommand(probe);
            total += await probe.Allocated.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        return total;
    }

    private sealed class Probe : LoopEntry
    {
        public TaskCompletionSource<long> Allocated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void OnEvents(int side, uint events)
        {
        }

        public override void OnCommand() => Allocated.TrySetResult(GC.GetAllocatedBytesForCurrentThread());
    }
}

namespace ServiceProxy.Tests.Properties;

/// <summary>
/// Work counted, not timed: the bytes an action allocates on the calling thread. Parsers and
/// patchers build what they produce, so an input that makes them work much more than its size
/// (a blow-up, a quadratic loop building strings) shows up here whatever the machine's load.
/// </summary>
internal static class Work
{
    public static long Allocated(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Runs <paramref name="action"/>, letting only <typeparamref name="TDocumented"/> escape, and returns the bytes it allocated.</summary>
    public static long AllocatedAllowing<TDocumented>(Action action) where TDocumented : Exception =>
        Allocated(() =>
        {
            try
            {
                action();
            }
            catch (TDocumented)
            {
                // The documented refusal.
            }
        });
}

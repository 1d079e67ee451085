using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

internal static class WatchAssert
{
    /// <summary>The watch was ended with Gone before it delivered anything: its buffered events were dropped, so the client relists.</summary>
    public static async Task EndedWithGoneAndNothingDeliveredAsync(IAsyncEnumerable<WatchEvent> watch, CancellationToken cancellationToken)
    {
        var received = new List<long>();
        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () =>
        {
            await foreach (var watchEvent in watch.WithCancellation(cancellationToken))
            {
                received.Add(watchEvent.ResourceVersion);
            }
        });
        Assert.Equal(StoreErrorReason.Gone, error.Reason);
        Assert.Empty(received);
    }
}

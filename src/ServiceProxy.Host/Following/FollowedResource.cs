using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ServiceProxy.Host.Following;

/// <summary>
/// One collection followed from the remote API (Services, EndpointSlices, or v1 Endpoints): how to
/// list a page of it and open a watch on it, and what to do with what is read.
/// </summary>
internal interface IFollowedResource
{
    /// <summary>For logs, metrics and <c>/readyz</c>: <c>services</c>, <c>endpointslices</c>, <c>endpoints</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Lists every object (page by page), at most <paramref name="maxObjects"/>, and replaces what was
    /// followed with them; returns the list's resourceVersion. A page that takes longer than
    /// <paramref name="pageTimeout"/> fails the list with <see cref="TimeoutException"/>.
    /// </summary>
    Task<string> ListAsync(int pageSize, int maxObjects, TimeSpan pageTimeout, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a watch from <paramref name="resourceVersion"/> with bookmarks; completes when the response
    /// headers arrived. <paramref name="onError"/> receives an ERROR event's Status (as a
    /// <see cref="KubernetesException"/>) or a line that does not parse.
    /// </summary>
    Task<IAsyncEnumerable<(WatchEventType Type, IKubernetesObject<V1ObjectMeta> Object)>> WatchAsync(
        string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken cancellationToken);

    /// <summary>Applies one watch event (not a bookmark); false when it would take the collection beyond <paramref name="maxObjects"/>.</summary>
    bool Apply(WatchEventType type, IKubernetesObject<V1ObjectMeta> obj, int maxObjects);
}

/// <summary>The list and watch calls of one collection of the generated client, bound to its types.</summary>
internal abstract class FollowedResource<T, TList> : IFollowedResource
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IItems<T>, IMetadata<V1ListMeta>
{
    public abstract string Name { get; }

    public async Task<string> ListAsync(int pageSize, int maxObjects, TimeSpan pageTimeout, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? next = null;
        while (true)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(pageTimeout);
            HttpOperationResponse<TList> response;
            try
            {
                response = await ListPageAsync(next, pageSize, watch: false, resourceVersion: null, timeoutSeconds: null, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name}: a list page got no answer within {pageTimeout.TotalMilliseconds:0} ms");
            }

            using var _ = response;
            var page = response.Body;
            items.AddRange(page.Items ?? []);
            if (items.Count > maxObjects)
            {
                throw new InvalidOperationException($"{Name}: more than {maxObjects} objects; raise RemoteApi:MaxObjects to follow them");
            }

            next = page.Metadata?.ContinueProperty;
            if (string.IsNullOrEmpty(next))
            {
                Replace(items);
                return page.Metadata?.ResourceVersion ?? "0";
            }
        }
    }

    public async Task<IAsyncEnumerable<(WatchEventType Type, IKubernetesObject<V1ObjectMeta> Object)>> WatchAsync(
        string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken cancellationToken)
    {
        var response = await ListPageAsync(null, null, watch: true, resourceVersion, timeoutSeconds, cancellationToken).ConfigureAwait(false);
        return Events(response, onError, cancellationToken);
    }

    public bool Apply(WatchEventType type, IKubernetesObject<V1ObjectMeta> obj, int maxObjects) => Apply(type, (T)obj, maxObjects);

    /// <summary>One list page, or (<paramref name="watch"/>) the watch response whose body streams events.</summary>
    protected abstract Task<HttpOperationResponse<TList>> ListPageAsync(
        string? continueToken, int? limit, bool watch, string? resourceVersion, int? timeoutSeconds, CancellationToken cancellationToken);

    /// <summary>Replaces the followed state with a full list.</summary>
    protected abstract void Replace(IReadOnlyList<T> items);

    /// <summary>Applies one ADDED, MODIFIED or DELETED event.</summary>
    protected abstract bool Apply(WatchEventType type, T obj, int maxObjects);

    private static async IAsyncEnumerable<(WatchEventType Type, IKubernetesObject<V1ObjectMeta> Object)> Events(
        HttpOperationResponse<TList> response, Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            // The response-based reader, not WatchListXxxAsync (which sends the request only once enumerated): the
            // follower needs the watch's response first, to know it is open and to see a refusal (410) at once.
#pragma warning disable CS0618
            var events = Task.FromResult(response).WatchAsync<T, TList>(onError, cancellationToken);
#pragma warning restore CS0618
            await foreach (var (type, obj) in events.ConfigureAwait(false))
            {
                yield return (type, obj);
            }
        }
    }
}

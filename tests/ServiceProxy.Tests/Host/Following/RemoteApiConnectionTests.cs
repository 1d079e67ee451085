using Microsoft.Extensions.Logging.Testing;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Testing;
using static ServiceProxy.Testing.ScriptedHttpServer;

namespace ServiceProxy.Tests.Host.Following;

/// <summary>
/// The follower against an HTTP/1.1 API over real loopback sockets, where connections are pooled
/// and reused: what one request leaves on a connection must not reach the next.
/// </summary>
public sealed class RemoteApiConnectionTests : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeLogger _logger = new();
    private readonly ScriptedHttpServer _api;
    private int _sliceLists;
    private int _silentSliceLists;
    private FollowerUnderTest? _follower;

    /// <summary>
    /// The API is written on a bare socket, not Kestrel, to control the bytes of a watch's body and when they
    /// leave: the same script on Kestrel did not make the stale read take the next response, and its test passed
    /// without the fix.
    /// </summary>
    public RemoteApiConnectionTests() => _api = new ScriptedHttpServer(AnswerAsync);

    [Fact]
    public async Task A_list_after_a_watch_that_ended_with_410_is_answered()
    {
        // The watch's ERROR event comes first and the end of its body a moment later: the client
        // reader still reads that body after the follower has moved on. Were the connection reused,
        // that read would take the next response off it and the list would wait for ever.
        var (follower, store) = Start($"http://127.0.0.1:{_api.Port}");
        var running = follower.StartAsync(_stop.Token);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (store.Get<Endpoints>("default", "web")?.Subsets?[0].Addresses?[0].Ip != "10.2.0.2")
        {
            Assert.True(DateTime.UtcNow < deadline, "the second list of endpointslices got no answer within 10 s; requests:\n"
                + string.Join("\n", _api.Requests) + "\nthe follower logged:\n" + string.Join("\n", _logger.Collector.GetSnapshot().Select(r => r.Message)));
            await Task.Delay(20);
        }

        Assert.Equal(2, Volatile.Read(ref _sliceLists));
        await _stop.CancelAsync();
        await follower.StopAsync(CancellationToken.None);
        await running;
    }

    [Fact]
    public async Task A_list_page_the_API_never_answers_is_given_up_and_asked_again()
    {
        // An API that took the request and went quiet (stopped, or a path that drops packets): without a
        // bound of its own the list would wait for the HTTP client's, several minutes.
        _silentSliceLists = 1;
        var (follower, store) = Start($"http://127.0.0.1:{_api.Port}", listTimeout: TimeSpan.FromMilliseconds(500));
        var running = follower.StartAsync(_stop.Token);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (store.Get<Endpoints>("default", "web") is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "no endpointslices within 10 s; requests:\n" + string.Join("\n", _api.Requests)
                + "\nthe follower logged:\n" + string.Join("\n", _logger.Collector.GetSnapshot().Select(r => r.Message)));
            await Task.Delay(20);
        }

        Assert.Equal(2, Volatile.Read(ref _sliceLists));
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains("endpointslices: a list page got no answer within 500 ms", StringComparison.Ordinal));
        await _stop.CancelAsync();
        await follower.StopAsync(CancellationToken.None);
        await running;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _api.DisposeAsync();
        if (_follower is not null)
        {
            await _follower.DisposeAsync();
        }

        _stop.Dispose();
    }

    private (RemoteApiFollower Follower, IObjectStore Store) Start(string master, TimeSpan? listTimeout = null)
    {
        var options = new RemoteApiOptions { Master = master };
        options.ListTimeout = listTimeout ?? options.ListTimeout;
        _follower = new FollowerUnderTest(options, _logger);
        return (_follower.Follower, _follower.Store);
    }

    /// <summary>Answers one request; false when the connection is to stay with it (a watch held open).</summary>
    private async Task<bool> AnswerAsync(ScriptedRequest request)
    {
        var target = request.Target;
        var watch = target.Contains("watch=true", StringComparison.Ordinal);
        if (target.StartsWith("/api/v1/services", StringComparison.Ordinal))
        {
            if (!watch)
            {
                await WriteAsync(request, Full(List("ServiceList", "5", Service())));
                return true;
            }

            await WriteAsync(request, Head());
            await Task.Delay(Timeout.Infinite, request.Stopping);
            return false;
        }

        if (!watch)
        {
            var first = Interlocked.Increment(ref _sliceLists) == 1;
            if (first && _silentSliceLists > 0)
            {
                await Task.Delay(Timeout.Infinite, request.Stopping);
            }

            await WriteAsync(request, Full(List("EndpointSliceList", first ? "5" : "7", Slice(first ? "10.2.0.1" : "10.2.0.2"))));
            return true;
        }

        if (target.Contains("resourceVersion=5", StringComparison.Ordinal))
        {
            var error = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410,"message":"too old resource version: 5 (7)"}}""" + "\n";
            await WriteAsync(request, Head() + Chunk(error));
            await Task.Delay(200, request.Stopping);
            await WriteAsync(request, LastChunk);
            return true;
        }

        await WriteAsync(request, Head());
        await Task.Delay(Timeout.Infinite, request.Stopping);
        return false;
    }

    private static string List(string kind, string resourceVersion, string item) =>
        $$"""{"kind":"{{kind}}","apiVersion":"v1","metadata":{"resourceVersion":"{{resourceVersion}}"},"items":[{{item}}]}""";

    private static string Service() =>
        """{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"default","resourceVersion":"1"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","ports":[{"port":80,"protocol":"TCP","targetPort":8080}]}}""";

    private static string Slice(string ip) =>
        $$$"""{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-1","namespace":"default","resourceVersion":"2","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["{{{ip}}}"],"conditions":{"ready":true}}],"ports":[{"name":"","port":8080,"protocol":"TCP"}]}""";
}

using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Testing;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Host.Following;

/// <summary>The list-and-watch loop against a scripted API: resume, bookmarks, back-off, 410 relist, the Endpoints fallback.</summary>
public sealed class RemoteApiFollowerTests : IAsyncDisposable
{
    private readonly ScriptedApi _api = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeLogger _logger = new();
    private FollowerUnderTest? _follower;

    [Fact]
    public async Task Watches_resume_from_the_last_version_or_bookmark_back_off_on_errors_and_relist_on_410()
    {
        _api.Script("/api/v1/services", "list", Ok(List("ServiceList", "10", Service("a", "1"), Service("b", "2"))));
        _api.Script("/api/v1/services", "watch 10", Ok(Line("ADDED", Service("c", "11")) + Bookmark("Service", "15")));
        _api.Script("/api/v1/services", "watch 15", () => new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new StringContent("{}") });
        _api.Script("/api/v1/services", "watch 15", Ok(Line("ERROR", """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410,"message":"too old resource version: 15 (20)"}""")));
        _api.Script("/api/v1/services", "list", Ok(List("ServiceList", "20", Service("b", "2"), Service("c", "11"))));
        _api.Script("/api/v1/services", "watch 20", _api.Held);
        _api.Script("/apis/discovery.k8s.io/v1/endpointslices", "list", () => new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("""{"kind":"Status","code":404}""") });
        _api.Script("/api/v1/endpoints", "list", Ok(List("EndpointsList", "20", """{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"b","namespace":"default","resourceVersion":"3"},"subsets":[{"addresses":[{"ip":"10.1.0.1","nodeName":"n1"}],"ports":[{"port":80,"protocol":"TCP"}]}]}""")));
        _api.Script("/api/v1/endpoints", "watch 20", _api.Held);

        var (follower, status, store) = Start();
        var running = follower.StartAsync(_stop.Token);
        await Until(() => _api.Requests("/api/v1/services").Count >= 6 && store.List<Endpoints>().Items.Count == 1);

        Assert.Equal(["list", "watch 10", "watch 15", "watch 15", "list", "watch 20"], _api.Requests("/api/v1/services"));
        Assert.Equal(["b", "c"], store.List<Service>().Items.Select(s => s.Metadata.Name));
        Assert.Equal("n1", store.Get<Endpoints>("default", "b")!.Subsets![0].Addresses![0].NodeName);
        Assert.Equal(["list"], _api.Requests("/apis/discovery.k8s.io/v1/endpointslices"));
        Assert.True(status.Synced);
        // Both watches open: the state is current.
        await Until(() => status.Staleness == TimeSpan.Zero);
        Assert.Null(status.Failure);
        await _stop.CancelAsync();
        await follower.StopAsync(CancellationToken.None);
        await running;
    }

    [Fact]
    public async Task A_watch_from_a_version_the_API_has_not_reached_lists_again()
    {
        // An API restarted with new resourceVersions (svcproxy's --data-dir) refuses a watch from beyond them, as kube-apiserver does.
        _api.Script("/api/v1/services", "list", Ok(List("ServiceList", "50", Service("a", "1"))));
        _api.Script("/api/v1/services", "watch 50", () => new HttpResponseMessage(HttpStatusCode.GatewayTimeout)
        {
            Content = new StringContent("""{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Timeout","code":504,"message":"Too large resource version: 50, current: 7"}"""),
        });
        _api.Script("/api/v1/services", "list", Ok(List("ServiceList", "8", Service("b", "8"))));
        _api.Script("/api/v1/services", "watch 8", _api.Held);
        _api.Script("/apis/discovery.k8s.io/v1/endpointslices", "list", Ok(List("EndpointSliceList", "8")));
        _api.Script("/apis/discovery.k8s.io/v1/endpointslices", "watch 8", _api.Held);

        var (follower, _, store) = Start();
        var running = follower.StartAsync(_stop.Token);
        await Until(() => _api.Requests("/api/v1/services").Count >= 4);

        Assert.Equal(["list", "watch 50", "list", "watch 8"], _api.Requests("/api/v1/services"));
        await Until(() => store.List<Service>().Items.Select(s => s.Metadata.Name).SequenceEqual(["b"]));
        await _stop.CancelAsync();
        await follower.StopAsync(CancellationToken.None);
        await running;
    }

    [Fact]
    public async Task Slices_of_a_service_are_followed_as_its_endpoints_and_a_service_out_of_touch_turns_stale()
    {
        _api.Script("/api/v1/services", "list", Ok(List("ServiceList", "7", Service("web", "1"))));
        _api.Script("/api/v1/services", "watch 7", Ok(string.Empty));
        _api.Script("/apis/discovery.k8s.io/v1/endpointslices", "list", Ok(List("EndpointSliceList", "7", Slice("web-1", "10.2.0.1", "4"), Slice("web-2", "10.2.0.2", "5"))));
        _api.Script("/apis/discovery.k8s.io/v1/endpointslices", "watch 7", Ok(Line("DELETED", Slice("web-1", "10.2.0.1", "8")) + Line("ADDED", Slice("web-3", "10.2.0.3", "9"))));
        _api.Script("/apis/discovery.k8s.io/v1/endpointslices", "watch 9", _api.Held);

        var (follower, status, store) = Start(staleAfter: TimeSpan.FromMilliseconds(200));
        var running = follower.StartAsync(_stop.Token);
        await Until(() => store.Get<Endpoints>("default", "web")?.Subsets?[0].Addresses?.Count == 2
            && store.Get<Endpoints>("default", "web")!.Subsets![0].Addresses!.Any(a => a.Ip == "10.2.0.3"));
        Assert.Equal(["10.2.0.2", "10.2.0.3"], store.Get<Endpoints>("default", "web")!.Subsets![0].Addresses!.Select(a => a.Ip));

        // The services watch ended and every further attempt fails: the state ages past the threshold.
        await Until(() => status.Failure is not null);
        Assert.Contains("[-]remote-api failed: out of touch with the remote API", status.Failure, StringComparison.Ordinal);
        Assert.Equal(["web"], store.List<Service>().Items.Select(s => s.Metadata.Name));
        await _stop.CancelAsync();
        await follower.StopAsync(CancellationToken.None);
        await running;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _api.Dispose();
        if (_follower is not null)
        {
            await _follower.DisposeAsync();
        }

        _stop.Dispose();
    }

    private (RemoteApiFollower Follower, RemoteApiStatus Status, IObjectStore Store) Start(TimeSpan? staleAfter = null)
    {
        _follower = new FollowerUnderTest(new RemoteApiOptions { Master = "http://api.test", StaleAfter = staleAfter ?? TimeSpan.FromSeconds(30) }, _logger, _api);
        return (_follower.Follower, _follower.Status, _follower.Store);
    }

    private async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s; the follower logged:\n" + string.Join("\n", _logger.Collector.GetSnapshot().Select(r => r.Message)));
            await Task.Delay(20);
        }
    }

    private static Func<HttpResponseMessage> Ok(string body) => () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static string List(string kind, string resourceVersion, params string[] items) =>
        $$"""{"kind":"{{kind}}","apiVersion":"v1","metadata":{"resourceVersion":"{{resourceVersion}}"},"items":[{{string.Join(",", items)}}]}""";

    private static string Line(string type, string obj) => $$"""{"type":"{{type}}","object":{{obj}}}""" + "\n";

    private static string Bookmark(string kind, string resourceVersion) => Line("BOOKMARK", $$$"""{"kind":"{{{kind}}}","apiVersion":"v1","metadata":{"resourceVersion":"{{{resourceVersion}}}"}}""");

    private static string Service(string name, string resourceVersion) =>
        $$$"""{"kind":"Service","apiVersion":"v1","metadata":{"name":"{{{name}}}","namespace":"default","resourceVersion":"{{{resourceVersion}}}"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.{{{name.Length}}}","ports":[{"port":80,"protocol":"TCP","targetPort":80}]}}""";

    private static string Slice(string name, string ip, string resourceVersion) =>
        $$$"""{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"{{{name}}}","namespace":"default","resourceVersion":"{{{resourceVersion}}}","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["{{{ip}}}"],"conditions":{"ready":true},"nodeName":"n1"}],"ports":[{"name":"","port":8080,"protocol":"TCP"}]}""";

    /// <summary>Answers each path's requests from its script in order (list or watch from a version); past the script, 503.</summary>
    private sealed class ScriptedApi : DelegatingHandler
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<(string Request, Func<HttpResponseMessage> Answer)>> _scripts = new();
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _requests = new();
        private readonly ConcurrentBag<Pipe> _held = [];

        /// <summary>A watch that stays open, sending nothing, until the test ends.</summary>
        public HttpResponseMessage Held()
        {
            var pipe = new Pipe();
            _held.Add(pipe);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(pipe.Reader.AsStream()) };
        }

        public void Script(string path, string request, Func<HttpResponseMessage> answer) =>
            _scripts.GetOrAdd(path, _ => new()).Enqueue((request, answer));

        public IReadOnlyList<string> Requests(string path) => [.. _requests.GetOrAdd(path, _ => new())];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query);
            var asked = query["watch"] == "true" ? $"watch {query["resourceVersion"]}" : "list";
            if (query["watch"] == "true")
            {
                Assert.Equal("true", query["allowWatchBookmarks"]);
            }

            _requests.GetOrAdd(path, _ => new()).Enqueue(asked);
            if (_scripts.TryGetValue(path, out var script) && script.TryDequeue(out var next))
            {
                Assert.Equal(next.Request, asked);
                var answer = next.Answer();
                answer.RequestMessage = request;
                return Task.FromResult(answer);
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{}"), RequestMessage = request });
        }

        protected override void Dispose(bool disposing)
        {
            foreach (var pipe in _held)
            {
                pipe.Writer.Complete();
            }

            base.Dispose(disposing);
        }
    }
}

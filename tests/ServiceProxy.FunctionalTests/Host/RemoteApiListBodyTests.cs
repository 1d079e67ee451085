using System.Diagnostics;
using System.Net;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Testing;
using static ServiceProxy.Testing.ScriptedHttpServer;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>
/// svcproxy following an API whose list bodies arrive in two parts, as from any API server whose
/// response leaves in more than one segment: Kestrel sends the end of a chunked body (its last,
/// empty chunk) only when the handler returns, and over a network a long list takes many segments.
/// The API is a <see cref="ScriptedHttpServer"/>, so the test decides when each part leaves.
/// </summary>
public sealed class RemoteApiListBodyTests : IAsyncLifetime
{
    /// <summary>How long the API holds back the end of each list body.</summary>
    private static readonly TimeSpan HeldBack = TimeSpan.FromMilliseconds(300);

    private readonly string _dir = Directory.CreateTempSubdirectory("svcproxy-listbody-").FullName;
    private HttpBackends _backends = null!;
    private ScriptedHttpServer _api = null!;
    private int _nodePort;

    public async Task InitializeAsync()
    {
        _backends = await HttpBackends.StartAsync("pod-one");
        _nodePort = Ports.FreeTcpPort();
        _api = new ScriptedHttpServer(AnswerAsync);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _backends.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_list_whose_body_ends_after_its_headers_is_read_and_the_admin_API_keeps_answering()
    {
        var token = Path.Combine(_dir, "token");
        File.WriteAllText(token, "t");
        await using var follower = await HostProcess.StartServingAsync(["--roles", "proxy", "--master", $"http://127.0.0.1:{_api.Port}",
            "--token-file", token, "--node-name", "node-b", "--remote-api-max-backoff", "200ms"]);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(2) };

        // The follower lists both collections, so /readyz passes; its admin API answers throughout.
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (true)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), $"/readyz: {last}\n{follower.Output}");
            try
            {
                using var ready = await http.GetAsync(follower.AdminUrl + "/readyz");
                last = $"{(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}";
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(50);
        }

        // And proxies what it listed.
        Assert.Equal(["pod-one"], await Curl.LoopAsync($"http://127.0.0.1:{_nodePort}/hostname.html", 1, TimeSpan.FromSeconds(10)));
    }

    /// <summary>A list gets its body in two parts, the end held back; a watch is held open.</summary>
    private async Task<bool> AnswerAsync(ScriptedRequest request)
    {
        await WriteAsync(request, Head());
        if (request.Target.Contains("watch=true", StringComparison.Ordinal))
        {
            await Task.Delay(Timeout.Infinite, request.Stopping);
        }

        var body = request.Target.StartsWith("/api/v1/services", StringComparison.Ordinal)
            ? List("ServiceList", $$$"""{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"default","resourceVersion":"1","uid":"u1"},"spec":{"type":"NodePort","clusterIP":"127.1.2.3","ports":[{"port":80,"protocol":"TCP","targetPort":8080,"nodePort":{{{_nodePort}}}}]}}""")
            : List("EndpointSliceList", $$$"""{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-1","namespace":"default","resourceVersion":"2","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["127.0.0.1"],"conditions":{"ready":true}}],"ports":[{"name":"","port":{{{_backends.Pods[0].Port}}},"protocol":"TCP"}]}""");
        await WriteAsync(request, Chunk(body));
        await Task.Delay(HeldBack, request.Stopping);
        await WriteAsync(request, LastChunk);
        return true;
    }

    private static string List(string kind, string item) =>
        $$"""{"kind":"{{kind}}","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[{{item}}]}""";
}

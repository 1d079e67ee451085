using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>
/// <c>run --roles proxy --kubeconfig</c>: node B follows the API of node A (a svcproxy with the api and
/// controllers roles), proxies what is created there, rides out A's kill -9, and catches up when A is back.
/// </summary>
public sealed class RemoteApiFollowTests : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(1);

    /// <summary>The follower logs each request to the API (sent, answered, body ended), for a failure to show where it waited.</summary>
    private static readonly Dictionary<string, string> FollowerLogging = new() { ["Logging__LogLevel__ServiceProxy.Host.Following"] = "Debug" };
    private readonly string _dir = Directory.CreateTempSubdirectory("svcproxy-follow-").FullName;
    private readonly string _token = Convert.ToHexString(Guid.NewGuid().ToByteArray());
    private HttpBackends _backends = null!;

    public async Task InitializeAsync() => _backends = await HttpBackends.StartAsync("pod-one", "pod-two");

    public async Task DisposeAsync()
    {
        await _backends.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_node_following_another_nodes_API_proxies_its_services_keeps_them_while_it_is_down_and_catches_up()
    {
        var nodePort = Ports.FreeTcpPort();
        var tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(tokenFile, _token);
        string[] apiArgs = ["--roles", "api,controllers", "--admin", $"127.0.0.1:{Ports.FreeTcpPort()}", "--admin-token-file", tokenFile,
            "--data-dir", Path.Combine(_dir, "data"), "--node-port-range", $"{nodePort}-{nodePort}", "--node-name", "node-a",
            // The same service CIDR at the restart: a restored Service keeps its cluster IP.
            "--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}.0/24"];
        var a = await HostProcess.StartAsync(apiArgs);
        try
        {
            Authorize(a);
            var kubeconfig = Path.Combine(_dir, "kubeconfig");
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: node-a
                  cluster:
                    server: {a.AdminUrl}
                users:
                - name: proxy
                  user:
                    token: {_token}
                contexts:
                - name: node-a
                  context:
                    cluster: node-a
                    user: proxy
                current-context: node-a
                """);

            await Send(a, HttpMethod.Post, "/api/v1/namespaces/default/services", $$$"""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"type":"NodePort","ports":[{"port":80,"targetPort":8080,"nodePort":{{{nodePort}}}}]}}
                """);
            await Send(a, HttpMethod.Post, "/api/v1/namespaces/default/endpoints", Endpoints(_backends.Pods[0].Port));

            await using var b = await HostProcess.StartAsync(["--roles", "proxy", "--kubeconfig", kubeconfig, "--node-name", "node-b",
                "--remote-api-stale-after", "2s", "--remote-api-max-backoff", "200ms"], FollowerLogging);
            var url = $"http://127.0.0.1:{nodePort}/hostname.html";
            Assert.Equal("pod-one", await UntilAnswer(url, "pod-one", TimeSpan.FromSeconds(10), b));

            // B serves its probes and metrics, not an API.
            var metrics = await b.Http.GetStringAsync("/metrics");
            Assert.Contains("serviceproxy_remote_api_staleness_seconds", metrics, StringComparison.Ordinal);
            Assert.Contains("serviceproxy_remote_api_relists_total", metrics, StringComparison.Ordinal);
            using (var api = await b.Http.GetAsync("/api/v1/services"))
            {
                Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
            }

            // An Endpoints change on A shows on B within a second.
            await Send(a, HttpMethod.Put, "/api/v1/namespaces/default/endpoints/web", Endpoints(_backends.Pods[1].Port));
            var changed = Stopwatch.StartNew();
            Assert.Equal("pod-two", await UntilAnswer(url, "pod-two", TimeSpan.FromSeconds(10), b));
            Assert.True(changed.Elapsed <= Converge, $"B took {changed.Elapsed} to follow an Endpoints change");

            // A dies: B keeps proxying its last state, and /readyz says it is out of touch.
            await a.KillAsync();
            Assert.Equal(["pod-two", "pod-two"], await Curl.LoopAsync(url, 2, TimeSpan.FromSeconds(10)));
            var readyz = await UntilStale(b);
            Assert.Contains("[-]remote-api failed: out of touch with the remote API for", readyz, StringComparison.Ordinal);
            Assert.Equal(["pod-two"], await Curl.LoopAsync(url, 1, TimeSpan.FromSeconds(10)));

            // A is back (same data directory and port, new resourceVersions): a change made then reaches B within a second.
            await a.DisposeAsync();
            a = await HostProcess.StartAsync(apiArgs);
            Authorize(a);
            await Send(a, HttpMethod.Put, "/api/v1/namespaces/default/endpoints/web", Endpoints(_backends.Pods[0].Port));
            var back = Stopwatch.StartNew();
            Assert.Equal("pod-one", await UntilAnswer(url, "pod-one", TimeSpan.FromSeconds(10), b, a));
            Assert.True(back.Elapsed <= Converge, $"B took {back.Elapsed} to catch up with A after it came back:\n{b.Output}");
            using (var ready = await b.Http.GetAsync("/readyz"))
            {
                Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
            }

        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_rotated_token_file_is_used_from_the_next_request_on()
    {
        var nodePort = Ports.FreeTcpPort();
        var apiToken = Path.Combine(_dir, "api-token");
        var followerToken = Path.Combine(_dir, "follower-token");
        var rotated = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        File.WriteAllText(apiToken, _token);
        File.WriteAllText(followerToken, _token);
        string[] apiArgs = ["--roles", "api,controllers", "--admin", $"127.0.0.1:{Ports.FreeTcpPort()}", "--admin-token-file", apiToken,
            "--data-dir", Path.Combine(_dir, "data"), "--node-port-range", $"{nodePort}-{nodePort}", "--node-name", "node-a",
            "--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}.0/24"];
        var a = await HostProcess.StartAsync(apiArgs);
        try
        {
            Authorize(a);
            await Send(a, HttpMethod.Post, "/api/v1/namespaces/default/services", $$$"""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"type":"NodePort","ports":[{"port":80,"targetPort":8080,"nodePort":{{{nodePort}}}}]}}
                """);
            await Send(a, HttpMethod.Post, "/api/v1/namespaces/default/endpoints", Endpoints(_backends.Pods[0].Port));
            await using var b = await HostProcess.StartAsync(["--roles", "proxy", "--master", a.AdminUrl, "--token-file", followerToken,
                "--node-name", "node-b", "--remote-api-max-backoff", "200ms"], FollowerLogging);
            var url = $"http://127.0.0.1:{nodePort}/hostname.html";
            Assert.Equal("pod-one", await UntilAnswer(url, "pod-one", TimeSpan.FromSeconds(10), b, a));

            // The API now takes only the new token; the follower's file gets it too (as the kubelet rotates one).
            await a.DisposeAsync();
            File.WriteAllText(apiToken, rotated);
            a = await HostProcess.StartAsync(apiArgs);
            a.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", rotated);
            File.WriteAllText(followerToken, rotated);
            await Send(a, HttpMethod.Put, "/api/v1/namespaces/default/endpoints/web", Endpoints(_backends.Pods[1].Port));

            Assert.Equal("pod-two", await UntilAnswer(url, "pod-two", TimeSpan.FromSeconds(10), b, a));
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_follower_sends_to_serving_terminating_endpoints_only_while_no_endpoint_is_ready()
    {
        var nodePort = Ports.FreeTcpPort();
        var tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(tokenFile, _token);
        await using var a = await HostProcess.StartAsync(["--roles", "api,controllers", "--admin", $"127.0.0.1:{Ports.FreeTcpPort()}", "--admin-token-file", tokenFile,
            "--node-port-range", $"{nodePort}-{nodePort}", "--node-name", "node-a", "--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{Random.Shared.Next(0, 256)}.0/24"]);
        Authorize(a);
        await Send(a, HttpMethod.Post, "/api/v1/namespaces/default/services", $$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"type":"NodePort","ports":[{"port":80,"targetPort":8080,"nodePort":{{{nodePort}}}}]}}
            """);
        // pod-one's Pod is terminating but still serves; no endpoint is ready.
        await Send(a, HttpMethod.Post, "/api/v1/namespaces/default/endpoints", Draining(readyPort: null, annotated: true));
        await using var b = await HostProcess.StartAsync(["--roles", "proxy", "--master", a.AdminUrl, "--token-file", tokenFile,
            "--node-name", "node-b", "--remote-api-max-backoff", "200ms"]);
        var url = $"http://127.0.0.1:{nodePort}/hostname.html";

        // B reads the conditions from A's EndpointSlices and falls back to the serving, terminating endpoint.
        Assert.Equal("pod-one", await UntilAnswer(url, "pod-one", TimeSpan.FromSeconds(10), b));
        using (var slices = JsonDocument.Parse(await a.Http.GetStringAsync("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices")))
        {
            var conditions = slices.RootElement.GetProperty("items").EnumerateArray()
                .SelectMany(s => s.GetProperty("endpoints").EnumerateArray()).Single().GetProperty("conditions");
            Assert.Equal((false, true, true), (conditions.GetProperty("ready").GetBoolean(), conditions.GetProperty("serving").GetBoolean(), conditions.GetProperty("terminating").GetBoolean()));
        }

        // A ready endpoint appears: the terminating one gets no new connection.
        await Send(a, HttpMethod.Put, "/api/v1/namespaces/default/endpoints/web", Draining(readyPort: _backends.Pods[1].Port, annotated: true));
        Assert.Equal("pod-two", await UntilAnswer(url, "pod-two", TimeSpan.FromSeconds(10), b));
        Assert.All(await Curl.LoopAsync(url, 4, TimeSpan.FromSeconds(10)), name => Assert.Equal("pod-two", name));

        // Terminating and no longer serving (not in the annotation), nothing ready: B refuses, as kube-proxy does.
        await Send(a, HttpMethod.Put, "/api/v1/namespaces/default/endpoints/web", Draining(readyPort: null, annotated: false));
        Assert.True(await RawHttp.EventuallyRefusedAsync(new IPEndPoint(IPAddress.Loopback, nodePort)), "a terminating endpoint that no longer serves was used");
    }

    [Fact]
    public async Task Following_a_remote_API_refuses_the_api_role_and_manifests()
    {
        var kubeconfig = Path.Combine(_dir, "kubeconfig");
        File.WriteAllText(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n");
        var result = await HostProcess.RunCliAsync(["run", "--kubeconfig", kubeconfig, "--admin", $"127.0.0.1:{Ports.FreeTcpPort()}", "-f", _dir]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--kubeconfig follows a remote API, which is then the source of Services and Endpoints: give --roles proxy", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("manifests (-f) have no registry to go to", result.Stderr, StringComparison.Ordinal);
    }

    private void Authorize(HostProcess host) => host.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);

    private static string Endpoints(int port) => $$$"""
        {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"127.0.0.1","nodeName":"node-b"}],"ports":[{"port":{{{port}}}}]}]}
        """;

    /// <summary>
    /// Endpoints "web": pod-one on node-b not ready (terminating; serving when <paramref name="annotated"/>), and,
    /// with <paramref name="readyPort"/>, a ready endpoint on that port in a subset of its own.
    /// </summary>
    private string Draining(int? readyPort, bool annotated)
    {
        var annotations = annotated ? $$$""","annotations":{"{{{ServingTerminating.Annotation}}}":"127.0.0.1"}""" : string.Empty;
        var ready = readyPort is { } port ? $$$""",{"addresses":[{"ip":"127.0.0.1","nodeName":"node-b"}],"ports":[{"port":{{{port}}}}]}""" : string.Empty;
        return $$$"""
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"{{{annotations}}}},
             "subsets":[{"notReadyAddresses":[{"ip":"127.0.0.1","nodeName":"node-b"}],"ports":[{"port":{{{_backends.Pods[0].Port}}}}]}{{{ready}}}]}
            """;
    }

    private static async Task Send(HostProcess host, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await host.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Requests <paramref name="url"/> on new connections every 20 ms until it answers <paramref name="expected"/>.</summary>
    private static async Task<string> UntilAnswer(string url, string expected, TimeSpan timeout, HostProcess follower, HostProcess? api = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        string? last = null;
        while (deadline.Elapsed < timeout)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.ConnectionClose = true;
                using var response = await http.SendAsync(request);
                last = (await response.Content.ReadAsStringAsync()).Trim();
                if (last == expected)
                {
                    return last;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
            {
                last = e.Message;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{url} did not answer {expected} within {timeout} (last: {last}):\n{follower.Output}"
            + (api is null ? string.Empty : $"\nThe API's log:\n{api.Output}"));
    }

    private static async Task<string> UntilStale(HostProcess host)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            using var response = await host.Http.GetAsync("/readyz");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return body;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"/readyz stayed ready with the API down:\n{host.Output}");
    }
}

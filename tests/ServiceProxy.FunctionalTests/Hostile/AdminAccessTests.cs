using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// Who may drive the admin API with the default settings (loopback, no token), and what a flood of
/// watches or connections does: each hostile request gets its Status, and the canary keeps serving.
/// </summary>
public sealed class AdminAccessTests
{
    private const string PodsPath = "/api/v1/namespaces/default/pods";

    [Fact]
    public async Task A_DNS_rebinding_Host_header_is_refused_before_any_handler_runs()
    {
        await using var canary = await CanaryHost.StartAsync();
        var port = new Uri(canary.Host.AdminUrl).Port;

        using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Host = $"rebind.attacker.example:{port}" } };
        using var readResponse = await canary.Host.Http.SendAsync(read);
        await AssertStatusAsync(readResponse, 400, "BadRequest");

        using var write = new HttpRequestMessage(HttpMethod.Post, PodsPath) { Headers = { Host = $"rebind.attacker.example:{port}" }, Content = Json(Pod("rebound")) };
        using var writeResponse = await canary.Host.Http.SendAsync(write);
        await AssertStatusAsync(writeResponse, 400, "BadRequest");
        await AssertNoPodAsync(canary, "rebound");

        foreach (var host in new[] { $"127.0.0.1:{port}", $"localhost:{port}", $"[::1]:{port}", "127.0.0.1" })
        {
            using var allowed = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Host = host } };
            using var allowedResponse = await canary.Host.Http.SendAsync(allowed);
            Assert.True(allowedResponse.StatusCode == HttpStatusCode.OK, $"Host {host}: {(int)allowedResponse.StatusCode}");
        }

        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task A_configured_Host_name_is_accepted()
    {
        await using var canary = await CanaryHost.StartAsync(["--admin-allowed-hosts", "svcproxy.internal"]);
        var port = new Uri(canary.Host.AdminUrl).Port;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Host = $"svcproxy.internal:{port}" } };
        using var response = await canary.Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_POST_without_Content_Type_is_refused_with_415_and_creates_no_Pod()
    {
        await using var canary = await CanaryHost.StartAsync();

        // What fetch(url, {method: 'POST', mode: 'no-cors', body}) with a Blob body sends: no Content-Type at all.
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Pod("no-content-type").ToJsonString()));
        Assert.Null(content.Headers.ContentType);
        using var response = await canary.Host.Http.PostAsync(PodsPath, content);

        await AssertStatusAsync(response, 415, "UnsupportedMediaType");
        await AssertNoPodAsync(canary, "no-content-type");

        using var plain = new StringContent(Pod("text-plain").ToJsonString(), Encoding.UTF8, "text/plain");
        using var plainResponse = await canary.Host.Http.PostAsync(PodsPath, plain);
        await AssertStatusAsync(plainResponse, 415, "UnsupportedMediaType");
        await AssertNoPodAsync(canary, "text-plain");
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task A_cross_site_browser_request_is_refused_with_403()
    {
        await using var canary = await CanaryHost.StartAsync();

        foreach (var (header, value) in new[]
                 {
                     ("Origin", "https://attacker.example"),
                     ("Origin", "null"),
                     ("Sec-Fetch-Site", "cross-site"),
                     ("Sec-Fetch-Site", "same-site"),
                 })
        {
            var name = $"browser-{value.Replace(':', '-').Replace('/', '-').Replace('.', '-').Trim('-')}";
            using var request = new HttpRequestMessage(HttpMethod.Post, PodsPath) { Content = Json(Pod(name)) };
            request.Headers.Add(header, value);
            using var response = await canary.Host.Http.SendAsync(request);
            await AssertStatusAsync(response, 403, "Forbidden");
            await AssertNoPodAsync(canary, name);
        }

        // The API's own origin (a page it served, were there one) and a typed-in URL stay allowed.
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, PodsPath) { Content = Json(Pod("same-origin")) };
        sameOrigin.Headers.Add("Origin", canary.Host.AdminUrl);
        sameOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var sameOriginResponse = await canary.Host.Http.SendAsync(sameOrigin);
        Assert.Equal(HttpStatusCode.Created, sameOriginResponse.StatusCode);
        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task A_configured_Origin_is_accepted()
    {
        await using var canary = await CanaryHost.StartAsync(["--admin-allowed-origins", "https://dashboard.internal"]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services");
        request.Headers.Add("Origin", "https://dashboard.internal");
        using var response = await canary.Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("99999999999")]
    [InlineData("2147483647")]
    [InlineData("9223372036854775807")]
    public async Task A_watch_timeout_beyond_int_milliseconds_is_clamped_not_a_500(string timeoutSeconds)
    {
        await using var canary = await CanaryHost.StartAsync();

        using var watch = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/services?watch=true&timeoutSeconds={timeoutSeconds}");
        using var response = await canary.Host.Http.SendAsync(watch, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse(await reader.ReadLineAsync() ?? "null");
        Assert.Equal("ADDED", first?["type"]?.ToString());
        await canary.AssertServingAsync();
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task A_watch_timeout_that_is_not_a_whole_number_of_seconds_is_a_400(string timeoutSeconds)
    {
        await using var canary = await CanaryHost.StartAsync();

        using var response = await canary.Host.Http.GetAsync($"/api/v1/services?watch=true&timeoutSeconds={timeoutSeconds}");

        await AssertStatusAsync(response, 400, "BadRequest");
    }

    [Fact]
    public async Task A_watch_without_timeoutSeconds_ends_between_one_and_two_minimum_request_timeouts()
    {
        await using var canary = await CanaryHost.StartAsync(["--min-request-timeout", "2"]);

        var clock = Stopwatch.StartNew();
        using var response = await canary.Host.Http.GetAsync("/api/v1/services?watch=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var ended = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await (await response.Content.ReadAsStreamAsync(ended.Token)).CopyToAsync(Stream.Null, ended.Token);

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_thousand_concurrent_watches_are_capped_with_429_TooManyRequests_and_Retry_After()
    {
        await using var canary = await CanaryHost.StartAsync();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, ConnectTimeout = TimeSpan.FromSeconds(20) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(canary.Host.AdminUrl), Timeout = TimeSpan.FromSeconds(60) };

        var attempts = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            try
            {
                var response = await client.GetAsync("/api/v1/services?watch=true", HttpCompletionOption.ResponseHeadersRead);
                return (Response: response, Refused: false);
            }
            catch (HttpRequestException)
            {
                // Beyond the connection limit Kestrel closes the connection before any answer.
                return (Response: (HttpResponseMessage?)null, Refused: true);
            }
        }));
        try
        {
            var watching = attempts.Count(a => a.Response?.StatusCode == HttpStatusCode.OK);
            var tooMany = attempts.Where(a => a.Response?.StatusCode == HttpStatusCode.TooManyRequests).Select(a => a.Response!).ToList();
            Assert.All(attempts, a => Assert.True(a.Refused || a.Response!.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{a.Response?.StatusCode}"));
            Assert.InRange(watching, 1, AdminLimits.MaxWatches);
            Assert.NotEmpty(tooMany);
            Assert.Equal("1", tooMany[0].Headers.GetValues("Retry-After").Single());
            await AssertStatusAsync(tooMany[0], 429, "TooManyRequests");
        }
        finally
        {
            foreach (var attempt in attempts)
            {
                attempt.Response?.Dispose();
            }
        }

        handler.Dispose();
        await canary.AssertServingAsync();
        await AssertWatchStartsAsync(canary);
    }

    [Fact]
    public async Task A_thousand_idle_connections_are_capped_and_the_host_keeps_serving()
    {
        await using var canary = await CanaryHost.StartAsync();
        var admin = new IPEndPoint(IPAddress.Loopback, new Uri(canary.Host.AdminUrl).Port);
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(admin);
            }

            // Connections over the limit are closed by the server at once; the others wait for a request.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var closed = await Task.WhenAll(sockets.Select(async s =>
            {
                try
                {
                    return await s.ReceiveAsync(new byte[1], SocketFlags.None, deadline.Token) == 0;
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                catch (SocketException)
                {
                    return true;
                }
            }));

            Assert.InRange(closed.Count(c => c), 1000 - AdminLimits.MaxConnections, 1000);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        await canary.AssertServingAsync();
    }

    [Fact]
    public async Task An_appsettings_json_in_the_working_directory_is_ignored()
    {
        var directory = Directory.CreateTempSubdirectory("svcproxy-cwd-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "appsettings.json"), """
                { "Svcproxy": { "NodePortRange": "not-a-range", "AdminToken": "planted-by-whoever-owns-the-cwd" } }
                """);

            await using var host = await HostProcess.StartAsync([], workingDirectory: directory);

            using var response = await host.Http.GetAsync("/api/v1/services");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A watch starts once the server has seen the closed ones go, which takes it a moment.</summary>
    private static async Task AssertWatchStartsAsync(CanaryHost canary)
    {
        var status = HttpStatusCode.TooManyRequests;
        for (var attempt = 0; attempt < 100 && status == HttpStatusCode.TooManyRequests; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100 * Math.Min(attempt, 5)));
            using var response = await canary.Host.Http.GetAsync("/api/v1/services?watch=true&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
            status = response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static async Task AssertNoPodAsync(CanaryHost canary, string name)
    {
        using var response = await canary.Host.Http.GetAsync($"{PodsPath}/{name}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task AssertStatusAsync(HttpResponseMessage response, int code, string reason)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == code, $"expected {code}, got {(int)response.StatusCode}: {text}");
        var status = JsonNode.Parse(text);
        Assert.Equal("Status", status?["kind"]?.ToString());
        Assert.Equal(reason, status?["reason"]?.ToString());
        Assert.Equal(code, (int)status!["code"]!);
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>A Pod whose labels match a Service and whose IP is the attacker's: what a web page would create.</summary>
    private static JsonObject Pod(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "canary" } },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "x" }) },
        ["status"] = new JsonObject { ["podIP"] = "127.0.0.77", ["phase"] = "Running" },
    };
}

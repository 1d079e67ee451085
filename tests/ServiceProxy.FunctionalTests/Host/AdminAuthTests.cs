using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ServiceProxy.FunctionalTests.Host;

public sealed class AdminAuthTests
{
    [Fact]
    public async Task Non_loopback_admin_without_a_token_is_refused_at_start()
    {
        var result = await HostProcess.RunCliAsync(["run", "--admin", $"0.0.0.0:{Ports.FreeTcpPort()}", "--node-address", "127.0.0.1"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--admin-token", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("not a loopback address", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_requests_without_it_get_a_401_Status()
    {
        await using var host = await HostProcess.StartAsync(["--admin-token", "s3cret"]);

        using var anonymous = await host.Http.GetAsync("/api/v1/services");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var status = JsonNode.Parse(await anonymous.Content.ReadAsStringAsync());
        Assert.Equal("Status", status?["kind"]?.ToString());
        Assert.Equal("Unauthorized", status?["reason"]?.ToString());
        Assert.Equal(401, (int)status!["code"]!);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "guess") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "s3cret") } };
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(right)).StatusCode);

        var cli = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl, "--token", "s3cret"]);
        Assert.Equal(0, cli.ExitCode);
    }
}

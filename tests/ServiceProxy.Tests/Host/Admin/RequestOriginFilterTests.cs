using System.Net;
using Microsoft.AspNetCore.Http;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.Tests.Host.Admin;

public sealed class RequestOriginFilterTests
{
    private static readonly AdminApiOptions Loopback = new() { EndPoint = new IPEndPoint(IPAddress.Loopback, 8080) };

    [Theory]
    [InlineData("127.0.0.1:8080")]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3:8080")]
    [InlineData("[::1]:8080")]
    [InlineData("localhost:8080")]
    [InlineData("LOCALHOST.")]
    [InlineData("")]
    public async Task Loopback_hosts_are_served(string host) => Assert.Equal(200, await StatusAsync(Loopback, host));

    [Theory]
    [InlineData("attacker.example:8080")]
    [InlineData("localhost.attacker.example")]
    [InlineData("10.0.0.5:8080")]
    [InlineData("127.0.0.1.nip.io:8080")]
    public async Task Other_hosts_are_a_400(string host) => Assert.Equal(400, await StatusAsync(Loopback, host));

    [Theory]
    [InlineData("svcproxy.internal:8443", 200)]
    [InlineData("node1.cluster.example", 200)]
    [InlineData("cluster.example", 400)]
    [InlineData("evil-cluster.example", 400)]
    public async Task Configured_names_and_wildcards_are_served(string host, int expected)
    {
        var options = Loopback with { AllowedHosts = ["svcproxy.internal", "*.cluster.example"] };

        Assert.Equal(expected, await StatusAsync(options, host));
    }

    [Fact]
    public async Task Any_address_literal_is_served_when_bound_to_every_address()
    {
        var options = Loopback with { EndPoint = new IPEndPoint(IPAddress.Any, 8080) };

        Assert.Equal(200, await StatusAsync(options, "10.0.0.5:8080"));
        Assert.Equal(400, await StatusAsync(options, "attacker.example:8080"));
    }

    [Theory]
    [InlineData("Origin", "http://127.0.0.1:8080", 200)]
    [InlineData("Origin", "http://127.0.0.1:9090", 403)]
    [InlineData("Origin", "https://127.0.0.1:8080", 403)]
    [InlineData("Origin", "https://dashboard.example", 200)]
    [InlineData("Origin", "null", 403)]
    [InlineData("Sec-Fetch-Site", "cross-site", 403)]
    [InlineData("Sec-Fetch-Site", "Same-Site", 403)]
    [InlineData("Sec-Fetch-Site", "same-origin", 200)]
    [InlineData("Sec-Fetch-Site", "none", 200)]
    public async Task Browser_requests_need_the_APIs_own_or_a_configured_origin(string header, string value, int expected)
    {
        var options = Loopback with { AllowedOrigins = ["https://dashboard.example"] };

        Assert.Equal(expected, await StatusAsync(options, "127.0.0.1:8080", (header, value)));
    }

    private static async Task<int> StatusAsync(AdminApiOptions options, string host, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        var filter = new RequestOriginFilter(
            c =>
            {
                c.Response.StatusCode = 200;
                return Task.CompletedTask;
            },
            options);
        await filter.InvokeAsync(context);
        return context.Response.StatusCode;
    }
}

using Microsoft.AspNetCore.Http;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.Tests.Host.Admin;

public sealed class BearerTokenAuthenticationTests
{
    private const string Token = "0123456789abcdef0123";

    [Theory]
    [InlineData("Bearer " + Token, "/api/v1/services", 200)]
    [InlineData("Bearer " + Token + "x", "/api/v1/services", 401)]
    [InlineData("Bearer 0123456789abcdef012", "/api/v1/services", 401)]
    [InlineData("Bearer ", "/api/v1/services", 401)]
    [InlineData("Basic " + Token, "/api/v1/services", 401)]
    [InlineData(null, "/api/v1/services", 401)]
    [InlineData(null, "/readyz", 200)]
    public async Task Only_the_exact_token_is_accepted_except_on_health_probes(string? authorization, string path, int expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        var authentication = new BearerTokenAuthentication(
            c =>
            {
                c.Response.StatusCode = 200;
                return Task.CompletedTask;
            },
            Token);
        await authentication.InvokeAsync(context);

        Assert.Equal(expected, context.Response.StatusCode);
    }
}

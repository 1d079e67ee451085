using System.Security.Cryptography;
using System.Text;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// With <c>--admin-token</c> set, every request but the health probes needs
/// <c>Authorization: Bearer &lt;token&gt;</c>; anything else is a 401 Status. The comparison is
/// constant-time so the token cannot be guessed byte by byte, and compares SHA-256 digests so that
/// its time does not reveal the token's length either.
/// </summary>
internal sealed class BearerTokenAuthentication(RequestDelegate next, string token)
{
    private static readonly string[] Anonymous = ["/healthz", "/livez", "/readyz"];

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + token));

    public Task InvokeAsync(HttpContext context)
    {
        if (Anonymous.Any(p => context.Request.Path.StartsWithSegments(p)) || IsAuthorized(context.Request))
        {
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiResponses.WriteStatusAsync(context, ApiStatus.Unauthorized());
    }

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(value)), _expected);
    }
}

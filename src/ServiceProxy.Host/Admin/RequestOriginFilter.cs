using System.Net;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Keeps web pages from driving the admin API through the user's browser, before any handler runs.
/// DNS rebinding: a page on attacker.example re-points its own name at 127.0.0.1, so its requests
/// are same-origin to the browser but carry <c>Host: attacker.example</c>; only loopback addresses,
/// <c>localhost</c>, the admin address and <c>--admin-allowed-hosts</c> are served (400 otherwise).
/// Cross-site requests (a <c>fetch</c> in <c>no-cors</c> mode, a form post) carry an <c>Origin</c>
/// or <c>Sec-Fetch-Site</c> header that kubectl and other API clients never send; unless the
/// origin is the API's own or in <c>--admin-allowed-origins</c> they are a 403.
/// ASP.NET's HostFiltering middleware cannot express "any loopback address" and answers with an
/// HTML page, not a Status, hence this filter.
/// </summary>
internal sealed class RequestOriginFilter(RequestDelegate next, AdminApiOptions options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!IsAllowedHost(request.Host.Host))
        {
            return ApiResponses.WriteStatusAsync(context, ApiStatus.BadRequest(
                $"the Host header \"{request.Host}\" names neither a loopback address, localhost nor this server's address; list the name in --admin-allowed-hosts to serve it"));
        }

        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Equals("cross-site", StringComparison.OrdinalIgnoreCase) || site.Equals("same-site", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResponses.WriteStatusAsync(context, ApiStatus.Forbidden($"cross-site requests are refused (Sec-Fetch-Site: {site}); list the page's origin in --admin-allowed-origins to allow it"));
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsAllowedOrigin(origin, request))
        {
            return ApiResponses.WriteStatusAsync(context, ApiStatus.Forbidden($"requests from origin \"{origin}\" are refused; list it in --admin-allowed-origins to allow it"));
        }

        return next(context);
    }

    private bool IsAllowedHost(string host)
    {
        // HTTP/1.0 may omit Host; browsers never do.
        if (host.Length == 0)
        {
            return true;
        }

        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            // An address literal cannot be rebound: only a name can be re-pointed by its owner.
            var bound = options.EndPoint.Address;
            return IPAddress.IsLoopback(address) || address.Equals(bound) || bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any);
        }

        var name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || options.AllowedHosts.Any(allowed => Matches(name, allowed));
    }

    private static bool Matches(string name, string allowed) =>
        allowed.StartsWith("*.", StringComparison.Ordinal)
            ? name.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase)
            : name.Equals(allowed.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    private bool IsAllowedOrigin(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        return SameOrigin(uri, new Uri($"{request.Scheme}://{request.Host}"))
            || options.AllowedOrigins.Any(allowed => Uri.TryCreate(allowed, UriKind.Absolute, out var a) && SameOrigin(uri, a));
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}

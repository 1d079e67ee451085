using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>
/// The kubelet's HTTP probe (pkg/probe/http): a GET with <c>User-Agent: kube-probe/…</c> and
/// <c>Accept: */*</c> unless the probe's headers set them, a <c>Host</c> header setting the
/// request's host, no keep-alive and no certificate check. Status 200–399 is success. Redirects
/// to the same host are followed (at most 10); a redirect to another host is not, and the redirect
/// itself counts as success, as the kubelet's "probe terminated redirects" warning does.
/// </summary>
internal sealed class HttpProbe : IDisposable
{
    private const int MaxRedirects = 10;
    private const string UserAgent = "kube-probe/1.34";

    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
#pragma warning disable CA5359 // The kubelet's HTTPS probe skips verification too: Pods serve self-signed certificates.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
    });

    public void Dispose() => _client.Dispose();

    public async ValueTask<ProbeOutcome> RunAsync(string host, int port, HttpGetAction action, CancellationToken cancellationToken)
    {
        var scheme = string.Equals(action.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        var path = string.IsNullOrEmpty(action.Path) ? "/" : action.Path;
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        if (!Uri.TryCreate($"{scheme}://{ProbeTarget.JoinHostPort(host, port)}{path}", UriKind.Absolute, out var uri))
        {
            return ProbeOutcome.Error($"invalid probe URL {scheme}://{ProbeTarget.JoinHostPort(host, port)}{path}");
        }

        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var response = await SendAsync(uri, action, cancellationToken).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                if (IsFollowedRedirect(response.StatusCode) && response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    if (!string.Equals(next.IdnHost, uri.IdnHost, StringComparison.OrdinalIgnoreCase))
                    {
                        return ProbeOutcome.Success($"Probe terminated redirects, Response: {code}");
                    }

                    if (redirects + 1 >= MaxRedirects)
                    {
                        return ProbeOutcome.Failure($"Get \"{next}\": stopped after {MaxRedirects} redirects");
                    }

                    uri = next;
                    continue;
                }

                return code is >= 200 and < 400
                    ? ProbeOutcome.Success()
                    : ProbeOutcome.Failure(string.Create(CultureInfo.InvariantCulture, $"HTTP probe failed with statuscode: {code}"));
            }
        }
        catch (OperationCanceledException)
        {
            return ProbeOutcome.Failure($"Get \"{uri}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
        catch (HttpRequestException e)
        {
            return ProbeOutcome.Failure($"Get \"{uri}\": {e.Message}");
        }
    }

    /// <summary>The codes Go's http.Client follows; any other 3xx is returned as is.</summary>
    private static bool IsFollowedRedirect(HttpStatusCode code) =>
        code is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private async Task<HttpResponseMessage> SendAsync(Uri uri, HttpGetAction action, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.ConnectionClose = true;
        var userAgent = false;
        var accept = false;
        foreach (var header in action.HttpHeaders ?? [])
        {
            if (string.IsNullOrEmpty(header.Name))
            {
                continue;
            }

            if (string.Equals(header.Name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = header.Value;
                continue;
            }

            userAgent |= string.Equals(header.Name, "User-Agent", StringComparison.OrdinalIgnoreCase);
            accept |= string.Equals(header.Name, "Accept", StringComparison.OrdinalIgnoreCase);
            request.Headers.TryAddWithoutValidation(header.Name, header.Value ?? string.Empty);
        }

        if (!userAgent)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }

        if (!accept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        }

        return await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}

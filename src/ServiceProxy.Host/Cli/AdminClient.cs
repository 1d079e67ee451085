using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Cli;

/// <summary>The CLI's connection to the admin API: JSON in and out, failures as kubectl words them.</summary>
internal sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _server;

    /// <param name="certificateAuthority">PEM file the server's certificate must chain to, instead of the system's roots.</param>
    /// <param name="insecureSkipTlsVerify">Accept any server certificate, as kubectl's option of that name does.</param>
    public AdminClient(string server, string? token, string? certificateAuthority = null, bool insecureSkipTlsVerify = false)
    {
        _server = new Uri(server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server);
        var trust = insecureSkipTlsVerify || string.IsNullOrEmpty(certificateAuthority) ? null : TrustOnly(certificateAuthority);
        var handler = new SocketsHttpHandler();
        if (insecureSkipTlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (trust is not null)
        {
            handler.SslOptions.CertificateChainPolicy = trust;
        }

        _http = new HttpClient(handler) { BaseAddress = _server, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    public Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body, string? contentType, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
        }

        return SendAsync(request, cancellationToken);
    }

    /// <summary>The response, 2xx or not; only a transport failure throws (as a <see cref="CliException"/>).</summary>
    private async Task<ApiResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                JsonNode? json = null;
                try
                {
                    json = text.Length == 0 ? null : JsonNode.Parse(text);
                }
                catch (System.Text.Json.JsonException)
                {
                    // Not JSON (a proxy's error page…): reported by status code alone.
                }

                return new ApiResponse((int)response.StatusCode, json);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                throw new CliException($"The connection to the server {_server.Authority} was refused - did you specify the right host or port?");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CliException($"Unable to connect to the server: {_server.Authority}: request timed out");
            }
            catch (HttpRequestException e)
            {
                // A TLS failure (unknown authority, name mismatch) or a connection the server dropped.
                throw new CliException($"Unable to connect to the server: {_server.Authority}: {e.InnerException?.Message ?? e.Message}");
            }
        }
    }

    private static X509ChainPolicy TrustOnly(string certificateAuthority)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        try
        {
            policy.CustomTrustStore.ImportFromPemFile(certificateAuthority);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CliException($"error: reading --certificate-authority \"{certificateAuthority}\": {e.Message}");
        }

        return policy;
    }

    public void Dispose() => _http.Dispose();
}

internal sealed record ApiResponse(int StatusCode, JsonNode? Body)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public bool IsNotFound => StatusCode == (int)HttpStatusCode.NotFound;

    /// <summary>Throws the kubectl-worded error unless 2xx.</summary>
    public JsonNode EnsureSuccess(string? context = null) =>
        IsSuccess && Body is not null ? Body : throw new CliException(ServerErrors.Format(StatusCode, Body, context));
}

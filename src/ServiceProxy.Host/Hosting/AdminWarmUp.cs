using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Sends the admin API a few requests of its own as soon as it listens, and marks it ready after.
/// Its first request loads a dozen assemblies (routing, results, validation…), two descriptors
/// each, kept for the process's life: loaded now, they cannot fail later when proxied clients have
/// taken the descriptors (the runtime answers a load that fails there with FileNotFoundException,
/// and a thread it cannot start by aborting the process).
/// </summary>
internal static partial class AdminWarmUp
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A list (JSON), a 404 Status and a Prometheus scrape: the paths clients take first.</summary>
    private static readonly string[] Paths =
        ["/api/v1/namespaces/default/services", "/api/v1/namespaces/default/services/svcproxy-warm-up", "/metrics"];

    /// <summary>After the host started: requests each of <see cref="Paths"/>, then marks the admin API ready.</summary>
    /// <paramref name="certificate"/> is the admin API's own (HTTPS): the warm-up trusts that one certificate only.
    public static void Register(WebApplication app, string? token, X509Certificate2? certificate)
    {
        var readiness = app.Services.GetRequiredService<HostReadiness>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminWarmUp));
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                if (SvcproxyHost.AdminAddress(app) is { } bound)
                {
                    await RunAsync(bound, token, certificate, logger);
                }
            }
            finally
            {
                readiness.MarkReady(HostReadiness.AdminApi);
            }
        }));
    }

    private static async Task RunAsync(IPEndPoint bound, string? token, X509Certificate2? certificate, ILogger logger)
    {
        var address = bound.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : bound.Address;
        var target = new IPEndPoint(address, bound.Port);
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero };
        if (certificate is not null)
        {
            var expected = certificate.GetCertHash();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHash().AsSpan().SequenceEqual(expected);
        }

        using var http = new HttpClient(handler) { BaseAddress = new Uri($"{(certificate is null ? "http" : "https")}://{target}"), Timeout = Timeout };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            foreach (var path in Paths)
            {
                // The answer does not matter; serving it is what loads the pipeline.
                using var response = await http.GetAsync(path);
            }

            LogWarmedUp(logger, Paths.Length);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            LogWarmUpFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 545, Level = LogLevel.Debug, Message = "admin API warmed up with {Count} requests of its own")]
    private static partial void LogWarmedUp(ILogger logger, int count);

    [LoggerMessage(EventId = 546, Level = LogLevel.Warning, Message = "admin API warm-up failed ({Reason}); its first requests load what they need then")]
    private static partial void LogWarmUpFailed(ILogger logger, string reason);
}

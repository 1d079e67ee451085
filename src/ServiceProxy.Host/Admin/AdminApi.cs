using System.Threading.RateLimiting;
using OpenTelemetry.Metrics;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The admin API: a Kubernetes-shaped core/v1 API for services, endpoints and pods, discovery,
/// health probes and Prometheus metrics. One file per concern beside this one.
/// </summary>
internal static class AdminApi
{
    /// <summary>The library's meter (ServiceProxyMetrics.MeterName, internal to the library).</summary>
    public const string MeterName = "ServiceProxy";

    /// <summary>Holds the permits of <see cref="AdminLimits.MaxWatches"/>, one per open watch.</summary>
    public const string WatchLimiterKey = "watches";

    /// <summary>Registers what the admin API needs besides the store: its options, readiness, the watch limit and the Prometheus exporter.</summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services, Func<IServiceProvider, AdminApiOptions> options)
    {
        services.AddSingleton(options);
        services.AddKeyedSingleton(WatchLimiterKey, (_, _) => new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = AdminLimits.MaxWatches, QueueLimit = 0 }));
        services.AddSingleton<HostReadiness>();
        services.AddSingleton(TimeProvider.System);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(MeterName).AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapAdminApi(this WebApplication app)
    {
        app.UseMiddleware<RequestOriginFilter>();
        if (app.Services.GetRequiredService<AdminApiOptions>().Token is { Length: > 0 } token)
        {
            app.UseMiddleware<BearerTokenAuthentication>(token);
        }

        app.MapHealthApi();
        app.MapDiscoveryApi();
        app.MapOpenApiDocuments();
        app.MapNamespacesApi();
        app.MapEventsApi();
        app.MapEndpointSliceApi();
        app.MapResourceApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapFallback((HttpContext context) => ApiResponses.WriteStatusAsync(context, ApiStatus.ResourceNotFound()));
        return app;
    }
}

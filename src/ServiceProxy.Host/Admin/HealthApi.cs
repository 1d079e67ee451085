using ServiceProxy.Host.Following;
using ServiceProxy.Host.Hosting;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary><c>/healthz</c>, <c>/livez</c> (the process serves) and <c>/readyz</c> (manifests loaded, listeners started, admin API warmed up, etcd reachable in cluster mode, the followed remote API in touch).</summary>
internal static class HealthApi
{
    /// <summary>
    /// What a node following a remote API serves on <c>--admin</c>: the probes and <c>/metrics</c>,
    /// behind the same origin check and bearer token as the admin API; everything else is 404.
    /// </summary>
    public static WebApplication MapNodeHealthApi(this WebApplication app)
    {
        app.UseMiddleware<RequestOriginFilter>();
        if (app.Services.GetRequiredService<AdminApiOptions>().Token is { Length: > 0 } token)
        {
            app.UseMiddleware<BearerTokenAuthentication>(token);
        }

        app.MapHealthApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapFallback((HttpContext context) => ApiResponses.WriteStatusAsync(context, ApiStatus.ResourceNotFound()));
        return app;
    }

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/livez", () => Results.Text("ok"));
        app.MapGet("/readyz", (HostReadiness readiness, IObjectStore store, IServiceProvider services) =>
        {
            var pending = readiness.Pending;

            // In cluster mode, a node whose store cannot reach etcd serves its last state but takes no writes: not ready, as kube-apiserver's etcd check.
            var failed = ObjectStore.IsAvailable(store) ? [] : new[] { "[-]etcd failed: etcd unreachable or without a leader\n" };

            // Following a remote API, a node keeps proxying its last state while out of touch, but says how old it is.
            if (services.GetService<RemoteApiStatus>()?.Failure is { } remote)
            {
                failed = [.. failed, remote];
            }

            return pending.Count == 0 && failed.Length == 0
                ? Results.Text("ok")
                : Results.Text(string.Concat(pending.Select(p => $"[-]{p} failed: not ready yet\n").Concat(failed)) + "readyz check failed\n", statusCode: 503);
        });
    }
}

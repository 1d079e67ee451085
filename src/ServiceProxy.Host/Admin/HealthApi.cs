using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Host.Admin;

/// <summary><c>/healthz</c>, <c>/livez</c> (the process serves) and <c>/readyz</c> (manifests loaded, listeners started, admin API warmed up).</summary>
internal static class HealthApi
{
    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/livez", () => Results.Text("ok"));
        app.MapGet("/readyz", (HostReadiness readiness) =>
        {
            var pending = readiness.Pending;
            return pending.Count == 0
                ? Results.Text("ok")
                : Results.Text(string.Concat(pending.Select(p => $"[-]{p} failed: not ready yet\n")) + "readyz check failed\n", statusCode: 503);
        });
    }
}

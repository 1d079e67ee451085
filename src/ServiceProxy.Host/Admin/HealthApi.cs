using ServiceProxy.Host.Hosting;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary><c>/healthz</c>, <c>/livez</c> (the process serves) and <c>/readyz</c> (manifests loaded, listeners started, admin API warmed up, etcd reachable in cluster mode).</summary>
internal static class HealthApi
{
    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/livez", () => Results.Text("ok"));
        app.MapGet("/readyz", (HostReadiness readiness, IObjectStore store) =>
        {
            var pending = readiness.Pending;

            // In cluster mode, a node whose store cannot reach etcd serves its last state but takes no writes: not ready, as kube-apiserver's etcd check.
            var failed = ObjectStore.IsAvailable(store) ? [] : new[] { "[-]etcd failed: etcd unreachable or without a leader\n" };
            return pending.Count == 0 && failed.Length == 0
                ? Results.Text("ok")
                : Results.Text(string.Concat(pending.Select(p => $"[-]{p} failed: not ready yet\n").Concat(failed)) + "readyz check failed\n", statusCode: 503);
        });
    }
}

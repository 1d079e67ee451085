using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.KubernetesClient;

/// <summary>The official C# client's server-side apply (<see cref="V1Patch.PatchType.ApplyPatch"/>) against svcproxy.</summary>
public sealed class KubernetesClientApplyTests : IAsyncLifetime
{
    private HostProcess _host = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync([]);
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _host.AdminUrl });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Apply_patch_creates_records_the_manager_and_reports_conflicts()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        const string Config = """{"apiVersion":"v1","kind":"Service","metadata":{"name":"kc-apply"},"spec":{"selector":{"app":"kc"},"ports":[{"port":80,"targetPort":8080}]}}""";
        var created = await _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch(Config, V1Patch.PatchType.ApplyPatch), "kc-apply", "default", fieldManager: "csharp-controller", cancellationToken: timeout.Token);
        Assert.Equal(8080, created.Spec.Ports[0].TargetPort.Value is { } target ? int.Parse(target, System.Globalization.CultureInfo.InvariantCulture) : 0);
        var entry = Assert.Single(created.Metadata.ManagedFields);
        Assert.Equal(("csharp-controller", "Apply", "v1", "FieldsV1"), (entry.Manager, entry.Operation, entry.ApiVersion, entry.FieldsType));

        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch(Config.Replace("8080", "9090", StringComparison.Ordinal), V1Patch.PatchType.ApplyPatch), "kc-apply", "default",
            fieldManager: "other-controller", cancellationToken: timeout.Token));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Contains("conflict with \\\"csharp-controller\\\"", conflict.Response.Content.Replace("\\u0022", "\\\"", StringComparison.Ordinal), StringComparison.Ordinal);

        var forced = await _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch(Config.Replace("8080", "9090", StringComparison.Ordinal), V1Patch.PatchType.ApplyPatch), "kc-apply", "default",
            fieldManager: "other-controller", force: true, cancellationToken: timeout.Token);
        Assert.Equal("9090", forced.Spec.Ports[0].TargetPort.Value);
        Assert.Contains(forced.Metadata.ManagedFields, m => m.Manager == "other-controller");
    }
}

using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Kubectl;

namespace ServiceProxy.FunctionalTests.KubernetesClient;

/// <summary>
/// The official C# client (NuGet KubernetesClient), unmodified, manages svcproxy: create, list, get,
/// watch, patch and delete Services, Endpoints and Pods, and every change shows on the data plane.
/// </summary>
public sealed class KubernetesClientTests : IAsyncLifetime
{
    private const string Namespace = "default";
    private HttpBackends _backends = null!;
    private HostProcess _host = null!;
    private k8s.Kubernetes _client = null!;
    private int _nodePort;

    public async Task InitializeAsync()
    {
        _backends = await HttpBackends.StartAsync("kc-a", "kc-b");
        _nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{_nodePort}-{_nodePort}"]);
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _host.AdminUrl });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _backends.DisposeAsync();
    }

    [Fact]
    public async Task Services_and_pods_through_the_client_drive_the_data_plane()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var (name, port) in _backends.Pods)
        {
            var created = await _client.CoreV1.CreateNamespacedPodAsync(Pod(name, port), Namespace, cancellationToken: timeout.Token);
            Assert.Equal("127.0.0.1", created.Status.PodIP);
        }

        Assert.Equal(["kc-a", "kc-b"], (await _client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: "app=kc", cancellationToken: timeout.Token)).Items.Select(p => p.Metadata.Name));

        // Watch services from now on, in the background, into a bounded channel.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var events = Channel.CreateBounded<(WatchEventType Type, V1Service Service)>(100);
        var watch = Task.Run(async () =>
        {
            await foreach (var (type, service) in _client.CoreV1.WatchListNamespacedServiceAsync(Namespace, cancellationToken: watching.Token))
            {
                await events.Writer.WriteAsync((type, service), watching.Token);
            }
        });

        var service = await _client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = "kc" },
                Spec = new V1ServiceSpec
                {
                    Type = "NodePort",
                    Selector = new Dictionary<string, string> { ["app"] = "kc" },
                    Ports = [new V1ServicePort { Port = 80, TargetPort = "http", NodePort = _nodePort }],
                },
            },
            Namespace,
            cancellationToken: timeout.Token);
        Assert.False(string.IsNullOrEmpty(service.Spec.ClusterIP));
        Assert.Equal("None", service.Spec.SessionAffinity);
        Assert.Equal(_nodePort, service.Spec.Ports.Single().NodePort);
        Assert.Equal("kc", (await _client.CoreV1.ReadNamespacedServiceAsync("kc", Namespace, cancellationToken: timeout.Token)).Metadata.Name);
        Assert.Contains("kc", (await _client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: timeout.Token)).Items.Select(s => s.Metadata.Name));

        // Each pod listens on its own port, so the endpoints controller writes one subset per port.
        var endpoints = await EventuallyAsync(
            () => _client.CoreV1.ReadNamespacedEndpointsAsync("kc", Namespace, cancellationToken: timeout.Token),
            e => e.Subsets?.Sum(s => s.Addresses?.Count ?? 0) == 2);
        Assert.Equal(
            _backends.Pods.Select(p => $"127.0.0.1:{p.Port}").Order(),
            endpoints.Subsets.SelectMany(s => s.Addresses.Select(a => $"{a.Ip}:{s.Ports.Single().Port}")).Order());

        var url = $"http://127.0.0.1:{_nodePort}/hostname.html";
        var roundRobin = await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 2);
        Assert.Equal(["kc-a", "kc-b"], roundRobin.Distinct().Order());

        var sticky = await _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("""{"spec":{"sessionAffinity":"ClientIP"}}""", V1Patch.PatchType.StrategicMergePatch), "kc", Namespace, cancellationToken: timeout.Token);
        Assert.Equal("ClientIP", sticky.Spec.SessionAffinity);
        Assert.Equal(10800, sticky.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds);
        Assert.Single((await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 1)).Distinct());

        var back = await _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("""{"spec":{"sessionAffinity":"None"}}""", V1Patch.PatchType.MergePatch), "kc", Namespace, cancellationToken: timeout.Token);
        Assert.Equal("None", back.Spec.SessionAffinity);
        Assert.Equal(2, (await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 2)).Distinct().Count());

        // A pod goes: its endpoint goes, and so does its traffic.
        var deletedPod = await _client.CoreV1.DeleteNamespacedPodAsync("kc-b", Namespace, cancellationToken: timeout.Token);
        Assert.Equal("kc-b", deletedPod.Metadata.Name);
        Assert.Equal(["kc-a"], (await Traffic.EventuallyAsync(url, names => names.All(n => n == "kc-a"))).Distinct());

        var deleted = await _client.CoreV1.DeleteNamespacedServiceAsync("kc", Namespace, cancellationToken: timeout.Token);
        Assert.Equal("kc", deleted.Metadata.Name);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedServiceAsync("kc", Namespace, cancellationToken: timeout.Token));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("services \"kc\" not found", Status(missing).Message);
        await Traffic.AssertRefusedAsync(url);

        // The watch saw the service come, change twice and go.
        var seen = new List<(WatchEventType Type, string? Affinity)>();
        while (seen.Count < 4)
        {
            var (type, changed) = await events.Reader.ReadAsync(timeout.Token);
            if (changed.Metadata.Name == "kc")
            {
                seen.Add((type, changed.Spec.SessionAffinity));
            }
        }

        Assert.Equal([(WatchEventType.Added, "None"), (WatchEventType.Modified, "ClientIP"), (WatchEventType.Modified, "None"), (WatchEventType.Deleted, "None")], seen);
        await watching.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch);
    }

    [Fact]
    public async Task Hand_written_endpoints_and_the_errors_the_client_sees()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var backend = _backends.Pods[0];
        await _client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "manual" }, Spec = new V1ServiceSpec { Type = "NodePort", Ports = [new V1ServicePort { Port = 80, NodePort = _nodePort }] } },
            Namespace,
            cancellationToken: timeout.Token);
        await _client.CoreV1.CreateNamespacedEndpointsAsync(
            new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = "manual" },
                Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "127.0.0.1" }], Ports = [new Corev1EndpointPort { Port = backend.Port }] }],
            },
            Namespace,
            cancellationToken: timeout.Token);

        var url = $"http://127.0.0.1:{_nodePort}/hostname.html";
        Assert.Equal([backend.Name], (await Traffic.EventuallyAsync(url, names => names.All(n => n == backend.Name))).Distinct());

        var status = await _client.CoreV1.DeleteNamespacedEndpointsAsync("manual", Namespace, cancellationToken: timeout.Token);
        Assert.Equal("Success", status.Status);
        Assert.Equal("manual", status.Details.Name);

        var exists = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "manual" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, Namespace, cancellationToken: timeout.Token));
        Assert.Equal(HttpStatusCode.Conflict, exists.Response.StatusCode);
        Assert.Equal("AlreadyExists", Status(exists).Reason);

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("""{"spec":{"sessionAffinity":"ClusterIP"}}""", V1Patch.PatchType.StrategicMergePatch), "manual", Namespace, cancellationToken: timeout.Token));
        Assert.Equal((HttpStatusCode)422, invalid.Response.StatusCode);
        var cause = Status(invalid).Details.Causes.Single();
        Assert.Equal(("FieldValueNotSupported", "spec.sessionAffinity"), (cause.Reason, cause.Field));

        var strict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("""{"spec":{"portz":[]}}""", V1Patch.PatchType.MergePatch), "manual", Namespace, fieldValidation: "Strict", cancellationToken: timeout.Token));
        Assert.Equal(HttpStatusCode.BadRequest, strict.Response.StatusCode);
        Assert.Equal("strict decoding error: unknown field \"spec.portz\"", Status(strict).Message);

        var dryRun = await _client.CoreV1.DeleteNamespacedServiceAsync("manual", Namespace, dryRun: "All", cancellationToken: timeout.Token);
        Assert.Equal("manual", dryRun.Metadata.Name);
        Assert.Equal("manual", (await _client.CoreV1.ReadNamespacedServiceAsync("manual", Namespace, cancellationToken: timeout.Token)).Metadata.Name);
    }

    private static V1Pod Pod(string name, int port) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "kc" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "kc:1", Ports = [new V1ContainerPort { Name = "http", ContainerPort = port }] }] },
        Status = new V1PodStatus { Phase = "Running", PodIP = "127.0.0.1", Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }] },
    };

    private static V1Status Status(HttpOperationException e) => JsonSerializer.Deserialize<V1Status>(e.Response.Content, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var value = await read();
        for (var attempt = 0; attempt < 100 && !done(value); attempt++)
        {
            await Task.Delay(50);
            value = await read();
        }

        Assert.True(done(value), "the condition never held");
        return value;
    }
}

using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;
using KubectlClient = ServiceProxy.FunctionalTests.Kubectl.Kubectl;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// The real kubectl against each node of a cluster: what it applies, describes and deletes through
/// node-1 is what it gets through node-2, and node-0 (the proxy) carries the traffic.
/// </summary>
public sealed class ClusterKubectlTests
{
    private const string Manifest = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector:
            app: web
          ports:
          - port: 8080
            targetPort: TARGET
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-0
          labels:
            app: web
        spec:
          containers:
          - name: app
            image: none
        status:
          phase: Running
          podIP: 127.0.0.1
          conditions:
          - type: Ready
            status: "True"

        """;

    [Fact]
    public async Task What_kubectl_applies_describes_and_deletes_through_one_node_is_what_another_shows_and_the_proxy_follows()
    {
        await using var cluster = await SvcproxyCluster.StartAsync(["api,proxy", SvcproxyCluster.ControlPlane, SvcproxyCluster.ControlPlane]);
        await using var backend = TestBackend.Echo();
        using var b = KubectlClient.ForServer(cluster[1].AdminUrl);
        using var c = KubectlClient.ForServer(cluster[2].AdminUrl);
        var manifest = Manifest.Replace("TARGET", backend.EndPoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var nodes = await Ok(c, "get", "nodes");
        Assert.Equal(["node-0", "node-1", "node-2"], Lines(nodes).Skip(1).Select(l => Cells(l)[0]));
        Assert.Equal("control-plane,proxy", Row(nodes, "node-0")[2]); // api counts as control plane
        Assert.Equal("control-plane", Row(nodes, "node-1")[2]);

        Assert.Equal("service/web created\npod/web-0 created\n", await Ok(b, ["apply", "-f", "-"], manifest));

        var clusterIP = string.Empty;
        await UntilAsync(async () =>
        {
            var services = await c.RunAsync("get", "svc", "web");
            clusterIP = services.ExitCode == 0 ? Row(services.Stdout, "web")[2] : string.Empty;
            var endpoints = await c.RunAsync("get", "endpoints", "web");
            return clusterIP.Length > 0 && endpoints.ExitCode == 0 && Row(endpoints.Stdout, "web")[1] == $"127.0.0.1:{backend.EndPoint.Port}";
        }, "web and its endpoints through node-2");
        Assert.Equal("Running", Row(await Ok(c, "get", "pods"), "web-0")[2]);

        var describe = await Ok(c, "describe", "svc", "web");
        Assert.Matches($@"\nIP:\s+{Regex.Escape(clusterIP)}\n", describe);
        Assert.Contains($"Endpoints:         127.0.0.1:{backend.EndPoint.Port}\n", describe, StringComparison.Ordinal);

        var target = new IPEndPoint(IPAddress.Parse(clusterIP), 8080);
        await UntilAsync(() => ClusterFaultTests.EchoesAsync(target), "web proxied by node-0");

        Assert.Equal("service \"web\" deleted\npod \"web-0\" deleted\n", await Ok(b, ["delete", "-f", "-"], manifest));
        await UntilAsync(async () => (await c.RunAsync("get", "svc", "web")).Stderr.Contains("NotFound", StringComparison.Ordinal), "web gone through node-2");
        await UntilAsync(async () => (await c.RunAsync("get", "pods")).Stderr.Contains("No resources found in default namespace.", StringComparison.Ordinal), "web-0 gone through node-2");
        await UntilAsync(async () => !await ClusterFaultTests.EchoesAsync(target), "web no longer proxied by node-0");
    }

    private static Task<string> Ok(KubectlClient kubectl, params string[] args) => Ok(kubectl, args, null);

    private static async Task<string> Ok(KubectlClient kubectl, string[] args, string? stdin)
    {
        var result = await kubectl.RunAsync(args, stdin);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result.ExitCode} {result.Stderr}");
        return result.Stdout;
    }
}

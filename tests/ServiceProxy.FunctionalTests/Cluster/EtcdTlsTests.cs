using System.Net;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Cluster.ClusterApi;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// etcd that speaks only TLS and requires client certificates (a CA made in the test): svcproxy with
/// <c>--etcd-cafile</c>, <c>--etcd-certfile</c> and <c>--etcd-keyfile</c> stores and shares objects
/// there; one that trusts another CA is never ready and stores nothing.
/// </summary>
public sealed class EtcdTlsTests
{
    [Fact]
    public async Task With_the_ca_and_a_client_certificate_nodes_share_objects_over_tls_and_with_another_ca_a_node_is_not_ready()
    {
        using var tls = new EtcdTls();
        using var stranger = new EtcdTls();
        await using var etcd = await EtcdCluster.StartAsync(1, tls);
        Assert.StartsWith("https://", etcd.ClientUrls, StringComparison.Ordinal);
        string[] shared = ["--roles", SvcproxyCluster.ControlPlane, "--service-cidr", "127.202.0.0/24", "--etcd-servers", etcd.ClientUrls];

        await using var a = await HostProcess.StartAsync(
            [.. shared, "--node-name", "node-a", "--etcd-cafile", tls.CaFile, "--etcd-certfile", tls.ClientCertFile, "--etcd-keyfile", tls.ClientKeyFile]);
        await using var b = await HostProcess.StartAsync(
            [.. shared, "--node-name", "node-b", "--etcd-cafile", tls.CaFile, "--etcd-certfile", tls.ClientCertFile, "--etcd-keyfile", tls.ClientKeyFile]);
        var created = await CreateAsync(a.Http, "services", Service("web"));
        await UntilAsync(async () => (await b.Http.GetAsync("/api/v1/namespaces/default/services/web")).StatusCode == HttpStatusCode.OK, "web on node-b");
        Assert.Equal(ResourceVersion(created), ResourceVersion(await GetAsync(b.Http, "/api/v1/namespaces/default/services/web")));

        // Trusting another CA, the node cannot verify the member: never ready, and a write fails rather than being answered 2xx.
        await using var c = await HostProcess.StartAsync(
            [.. shared, "--node-name", "node-c", "--etcd-cafile", stranger.CaFile, "--etcd-certfile", stranger.ClientCertFile, "--etcd-keyfile", stranger.ClientKeyFile],
            waitReady: false);
        await UntilAsync(async () =>
        {
            try
            {
                return (await c.Http.GetAsync("/readyz?verbose")).StatusCode == HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                return false; // Not listening yet.
            }
        }, "node-c answering not ready", TimeSpan.FromSeconds(60));
        using var readyz = await c.Http.GetAsync("/readyz?verbose");
        Assert.Contains("[-]etcd", await readyz.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var refused = await c.Http.PostAsync("/api/v1/namespaces/default/pods", System.Net.Http.Json.JsonContent.Create(Pod("p", "x", "127.0.0.1", ready: true)));
        Assert.True((int)refused.StatusCode >= 500, $"{(int)refused.StatusCode}");
        Assert.Equal(HttpStatusCode.NotFound, (await a.Http.GetAsync("/api/v1/namespaces/default/pods/p")).StatusCode);
    }
}

using System.Net;
using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary><c>--roles</c>: a process without <c>proxy</c> binds no Service port; one without <c>api</c> does not listen on <c>--admin</c>.</summary>
public sealed class RolesTests
{
    private const string Manifest = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          type: NodePort
          selector:
            app: web
          ports:
          - port: 80
            nodePort: NODEPORT
        """;

    [Fact]
    public async Task Without_the_proxy_role_no_service_port_is_bound_and_the_node_is_control_plane_only()
    {
        var nodePort = Random.Shared.Next(30000, 32767);
        var manifest = Path.Combine(Directory.CreateTempSubdirectory("svcproxy-roles-").FullName, "web.yaml");
        await File.WriteAllTextAsync(manifest, Manifest.Replace("NODEPORT", nodePort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        try
        {
            await using var host = await HostProcess.StartAsync(["--roles", "api,controllers", "--node-name", "api-only", "-f", manifest]);
            var svc = await host.CliAsync("get", "svc", "web");
            Assert.True(svc.ExitCode == 0, svc.Stderr);
            Assert.Contains($"80:{nodePort}/TCP", svc.Stdout, StringComparison.Ordinal);
            Assert.False(await ConnectsAsync(nodePort), $"port {nodePort} is bound by a process without the proxy role");

            var nodes = await host.CliAsync("get", "nodes");
            Assert.Contains("api-only", nodes.Stdout, StringComparison.Ordinal);
            Assert.Contains(" control-plane ", nodes.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(manifest)!, recursive: true);
        }
    }

    [Fact]
    public async Task Without_the_api_role_nothing_listens_on_the_admin_address()
    {
        var admin = $"127.0.0.1:{ServiceProxy.FunctionalTests.Host.Ports.FreeTcpPort()}";
        await using var host = await HostProcess.StartAsync(["--roles", "proxy", "--admin", admin], waitReady: false);
        await host.WaitForOutputAsync("registered (", TimeSpan.FromSeconds(60));
        Assert.False(host.HasExited);
        Assert.False(await ConnectsAsync(IPEndPoint.Parse(admin).Port));
    }

    private static async Task<bool> ConnectsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

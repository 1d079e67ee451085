using System.Diagnostics;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;
using KubectlClient = ServiceProxy.FunctionalTests.Kubectl.Kubectl;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// A svcproxy process registers its Node and renews its Lease, as a kubelet does; the node lifecycle
/// controller turns a Node whose Lease stops changing NotReady. Real process, real kubectl.
/// </summary>
public sealed class NodeRegistrationTests : IAsyncLifetime
{
    private readonly string _nodeName = $"node-{Guid.NewGuid():N}"[..16];
    private HostProcess _host = null!;
    private KubectlClient _kubectl = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync(["--node-name", _nodeName, "--node-lease-renew-interval", "500ms", "--node-monitor-grace-period", "2s"]);
        _kubectl = KubectlClient.ForServer(_host.AdminUrl);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Kubectl_get_nodes_shows_this_node_ready_with_its_roles_and_version()
    {
        var row = await EventuallyAsync(async () =>
        {
            var nodes = await _kubectl.RunAsync("get", "nodes");
            Assert.True(nodes.ExitCode == 0, nodes.Stderr);
            Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION"], Header(nodes.Stdout));
            return Row(nodes.Stdout, _nodeName);
        });
        Assert.Equal("Ready", row[1]);
        Assert.Equal("control-plane,proxy", row[2]);
        Assert.StartsWith("v1.", row[4], StringComparison.Ordinal);

        var wide = await _kubectl.RunAsync("get", "nodes", "-o", "wide");
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"], Header(wide.Stdout));
        Assert.Equal("<none>", Row(wide.Stdout, _nodeName)[6]);
    }

    [Fact]
    public async Task The_lease_in_kube_node_lease_is_renewed()
    {
        var first = await EventuallyAsync(() => RenewTimeAsync());
        var leases = await _kubectl.RunAsync("get", "leases", "-n", "kube-node-lease");
        Assert.Equal(["NAME", "HOLDER", "AGE"], Header(leases.Stdout));
        Assert.Equal(_nodeName, Row(leases.Stdout, _nodeName)[1]);

        var later = await EventuallyAsync(async () =>
        {
            var renewed = await RenewTimeAsync();
            Assert.NotEqual(first, renewed);
            return renewed;
        });
        Assert.True(DateTimeOffset.Parse(later, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.Parse(first, System.Globalization.CultureInfo.InvariantCulture));

        var describe = await _host.CliAsync("describe", "node", _nodeName);
        Assert.True(describe.ExitCode == 0, describe.Stderr);
        Assert.Contains($"  HolderIdentity:  {_nodeName}\n", describe.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_whose_lease_is_not_renewed_turns_not_ready_after_the_grace_period()
    {
        var manifest = """
            apiVersion: v1
            kind: Node
            metadata:
              name: silent-node
            status:
              conditions:
              - type: Ready
                status: "True"
            """;
        var applied = await _kubectl.RunAsync(["apply", "-f", "-"], manifest);
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        Assert.Equal("Ready", Row((await _kubectl.RunAsync("get", "nodes")).Stdout, "silent-node")[1]);

        var stopwatch = Stopwatch.StartNew();
        await EventuallyAsync(async () => Assert.Equal("NotReady", Row((await _kubectl.RunAsync("get", "nodes")).Stdout, "silent-node")[1]));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1.5), $"NotReady after {stopwatch.Elapsed}, before the 2s grace period");
        Assert.Equal("Ready", Row((await _kubectl.RunAsync("get", "nodes")).Stdout, _nodeName)[1]);
    }

    private async Task<string> RenewTimeAsync()
    {
        var result = await _kubectl.RunAsync("get", "lease", "-n", "kube-node-lease", _nodeName, "-o", "jsonpath={.spec.renewTime}");
        Assert.True(result.ExitCode == 0 && result.Stdout.Length > 0, result.Stderr);
        return result.Stdout;
    }

    /// <summary>Retries <paramref name="attempt"/> until it passes, for at most 15 s.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> attempt)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(200);
            }
        }
    }

    private static Task EventuallyAsync(Func<Task> attempt) => EventuallyAsync(async () =>
    {
        await attempt();
        return true;
    });
}

using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// The everyday kubectl commands beyond get and apply, against the real host: label, annotate,
/// edit, diff and wait work; commands that need a kubelet or a controller svcproxy does not have
/// (logs, exec, scale) fail with kubectl's own error, as against a cluster without that part.
/// </summary>
public sealed class KubectlCommandsTests : IAsyncLifetime
{
    private const string Service = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector:
            app: web
          ports:
          - port: 8080

        """;

    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-0
          labels:
            app: web
        spec:
          containers:
          - name: app
        status:
          phase: Running
          podIP: 127.0.0.1
          conditions:
          - type: Ready
            status: "True"

        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-kubectl-commands-").FullName;
    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        var nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{nodePort}-{nodePort}"]);
        _kubectl = Kubectl.ForServer(_host.AdminUrl);
        await Ok(["apply", "-f", "-"], Service + "---\n" + Pod);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Label_and_annotate_change_metadata()
    {
        Assert.Equal("service/web labeled\n", (await Ok(["label", "svc", "web", "tier=front"])).Stdout);
        Assert.Equal("front", Row((await Ok(["get", "svc", "web", "-L", "tier"])).Stdout, "web")[^1]);
        Assert.Equal("service/web annotated\n", (await Ok(["annotate", "svc", "web", "example.com/owner=team-a"])).Stdout);
        Assert.Equal("team-a", (await Ok(["get", "svc", "web", "-o", "jsonpath={.metadata.annotations.example\\.com/owner}"])).Stdout);
        Assert.Equal("service/web unlabeled\n", (await Ok(["label", "svc", "web", "tier-"])).Stdout);
    }

    [Fact]
    public async Task Edit_writes_what_the_editor_changed()
    {
        _kubectl.Environment["KUBE_EDITOR"] = "sed -i s/port:\\ 8080/port:\\ 8081/";
        Assert.Equal("service/web edited\n", (await Ok(["edit", "svc", "web"])).Stdout);
        Assert.Equal("8081", (await Ok(["get", "svc", "web", "-o", "jsonpath={.spec.ports[0].port}"])).Stdout);
    }

    [Fact]
    public async Task Diff_shows_what_apply_would_change_without_changing_it()
    {
        var path = Path.Combine(_directory, "web.yaml");
        await File.WriteAllTextAsync(path, Service.Replace("port: 8080", "port: 9090", StringComparison.Ordinal));
        var diff = await _kubectl.RunAsync("diff", "-f", path);
        Assert.True(diff.ExitCode == 1, diff.Stderr); // 1: differences found
        Assert.Contains("-  - port: 8080", diff.Stdout, StringComparison.Ordinal);
        Assert.Contains("+  - port: 9090", diff.Stdout, StringComparison.Ordinal);
        Assert.Equal("8080", (await Ok(["get", "svc", "web", "-o", "jsonpath={.spec.ports[0].port}"])).Stdout);
    }

    [Fact]
    public async Task Wait_returns_once_the_condition_holds()
    {
        Assert.Equal("pod/web-0 condition met\n", (await Ok(["wait", "--for=condition=Ready", "pod/web-0", "--timeout=20s"])).Stdout);
        var deleting = _kubectl.RunAsync("wait", "--for=delete", "pod/web-0", "--timeout=20s");
        await Ok(["delete", "pod", "web-0"]);
        var deleted = await deleting;
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
    }

    [Fact]
    public async Task Commands_that_need_a_kubelet_or_a_controller_fail_with_kubectl_s_error()
    {
        var logs = await _kubectl.RunAsync("logs", "web-0");
        Assert.NotEqual(0, logs.ExitCode);
        Assert.Contains("the server could not find the requested resource", logs.Stderr, StringComparison.Ordinal);

        var scale = await _kubectl.RunAsync("scale", "deployment/web", "--replicas=2");
        Assert.NotEqual(0, scale.ExitCode);
        Assert.Contains("the server doesn't have a resource type \"deployment\"", scale.Stderr, StringComparison.Ordinal);
    }

    private async Task<CliResult> Ok(string[] args, string? stdin = null)
    {
        var result = await _kubectl.RunAsync(args, stdin);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result.Stderr}");
        return result;
    }
}

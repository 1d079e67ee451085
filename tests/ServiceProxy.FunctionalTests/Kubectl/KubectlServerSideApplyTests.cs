using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// <c>kubectl apply --server-side</c> against svcproxy: create, re-apply, change, field removal,
/// conflicts with other managers (and <c>--force-conflicts</c>), the upgrade from client-side
/// apply, and the managedFields <c>kubectl get --show-managed-fields</c> prints.
/// </summary>
public sealed class KubectlServerSideApplyTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-ssa-").FullName;
    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync([]);
        _kubectl = Kubectl.ForServer(_host.AdminUrl);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Apply_creates_reapplies_changes_and_removes_fields()
    {
        var created = await ApplyAsync(Service("ssa-web", ports: [(80, 8080), (443, 8443)], labels: "app: web\n    team: a"));
        Assert.Equal("service/ssa-web serverside-applied", created.Stdout.Trim());
        var first = await GetAsync("svc", "ssa-web");

        var again = await ApplyAsync(Service("ssa-web", ports: [(80, 8080), (443, 8443)], labels: "app: web\n    team: a"));
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(first["metadata"]!["resourceVersion"]!.ToString(), (await GetAsync("svc", "ssa-web"))["metadata"]!["resourceVersion"]!.ToString());

        await ApplyAsync(Service("ssa-web", ports: [(80, 9090)], labels: "app: web"));
        var changed = await GetAsync("svc", "ssa-web");
        var port = Assert.Single(changed["spec"]!["ports"]!.AsArray());
        Assert.Equal(9090, port!["targetPort"]!.GetValue<int>());
        Assert.Null(changed["metadata"]!["labels"]!["team"]);
        Assert.NotNull(changed["spec"]!["clusterIP"]); // What nobody applied stays.
    }

    [Fact]
    public async Task Managed_fields_show_with_show_managed_fields_only()
    {
        await ApplyAsync(Service("ssa-shape", ports: [(80, 8080)], labels: "app: shape"));
        var hidden = await _kubectl.RunAsync("get", "svc", "ssa-shape", "-o", "yaml");
        Assert.DoesNotContain("managedFields", hidden.Stdout, StringComparison.Ordinal);

        var cliHidden = await HostProcess.RunCliAsync(["get", "svc", "ssa-shape", "-o", "yaml", "--server", _host.AdminUrl]);
        Assert.True(cliHidden.ExitCode == 0, cliHidden.Stderr);
        Assert.DoesNotContain("managedFields", cliHidden.Stdout, StringComparison.Ordinal);
        var cliShown = await HostProcess.RunCliAsync(["get", "svc", "ssa-shape", "-o", "yaml", "--show-managed-fields", "--server", _host.AdminUrl]);
        Assert.Contains("manager: kubectl", cliShown.Stdout, StringComparison.Ordinal);

        var shown = await _kubectl.RunAsync("get", "svc", "ssa-shape", "-o", "yaml", "--show-managed-fields");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains(
            """
              managedFields:
              - apiVersion: v1
                fieldsType: FieldsV1
                fieldsV1:
                  f:metadata:
                    f:labels:
                      f:app: {}
                  f:spec:
                    f:ports:
                      k:{"port":80,"protocol":"TCP"}:
                        .: {}
                        f:name: {}
                        f:port: {}
                        f:targetPort: {}
                    f:selector: {}
                manager: kubectl
                operation: Apply
                time: "
            """.ReplaceLineEndings("\n"),
            shown.Stdout.ReplaceLineEndings("\n"),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_a_field_another_manager_set_conflicts_until_forced()
    {
        await ApplyAsync(Service("ssa-conflict", ports: [(80, 8080)], labels: "app: c"));
        var patched = await _kubectl.RunAsync("patch", "svc", "ssa-conflict", "-p", """{"spec":{"ports":[{"port":80,"targetPort":9090}]}}""");
        Assert.True(patched.ExitCode == 0, patched.Stderr);

        var conflict = await _kubectl.RunAsync("apply", "--server-side", "-f", Write("ssa-conflict", Service("ssa-conflict", ports: [(80, 8080)], labels: "app: c")));
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl-patch\" using v1: .spec.ports[port=80,protocol=\"TCP\"].targetPort", conflict.Stderr, StringComparison.Ordinal);
        Assert.Equal(9090, (await GetAsync("svc", "ssa-conflict"))["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());

        var forced = await _kubectl.RunAsync("apply", "--server-side", "--force-conflicts", "-f", Write("ssa-conflict", Service("ssa-conflict", ports: [(80, 8080)], labels: "app: c")));
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        var live = await GetAsync("svc", "ssa-conflict");
        Assert.Equal(8080, live["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        var managers = live["metadata"]!["managedFields"]!.AsArray();
        Assert.DoesNotContain(managers, m => m!["manager"]!.ToString() == "kubectl-patch"); // It owned only what it lost.
    }

    [Fact]
    public async Task A_client_side_applied_object_moves_to_server_side_apply()
    {
        var yaml = Service("ssa-upgrade", ports: [(80, 8080)], labels: "app: u");
        var clientSide = await _kubectl.RunAsync("apply", "-f", Write("ssa-upgrade", yaml));
        Assert.True(clientSide.ExitCode == 0, clientSide.Stderr);
        Assert.Contains((await GetAsync("svc", "ssa-upgrade"))["metadata"]!["managedFields"]!.AsArray(), m => m!["manager"]!.ToString() == "kubectl-client-side-apply");

        var serverSide = await ApplyAsync(Service("ssa-upgrade", ports: [(80, 8081)], labels: "app: u"));
        Assert.Equal("service/ssa-upgrade serverside-applied", serverSide.Stdout.Trim());
        var live = await GetAsync("svc", "ssa-upgrade");
        Assert.Equal(8081, live["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Contains(live["metadata"]!["managedFields"]!.AsArray(), m => m!["manager"]!.ToString() == "kubectl" && m["operation"]!.ToString() == "Apply");
    }

    [Fact]
    public async Task Pods_and_endpoints_apply_and_a_server_dry_run_stores_nothing()
    {
        var pods = Write("ssa-pod", """
            apiVersion: v1
            kind: Pod
            metadata:
              name: ssa-pod
            spec:
              containers:
              - name: web
                image: nginx
                ports:
                - containerPort: 8080
            ---
            apiVersion: v1
            kind: Endpoints
            metadata:
              name: ssa-ep
            subsets:
            - addresses:
              - ip: 127.0.0.2
              ports:
              - port: 9000
            """);
        var applied = await _kubectl.RunAsync("apply", "--server-side", "-f", pods);
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        Assert.Contains("pod/ssa-pod serverside-applied", applied.Stdout, StringComparison.Ordinal);
        var podFields = Assert.Single((await GetAsync("pod", "ssa-pod"))["metadata"]!["managedFields"]!.AsArray())!["fieldsV1"]!;
        Assert.True(podFields["f:spec"]!["f:containers"]!.AsObject().ContainsKey("k:{\"name\":\"web\"}"), podFields.ToJsonString());
        Assert.Equal("127.0.0.2", (await GetAsync("ep", "ssa-ep"))["subsets"]![0]!["addresses"]![0]!["ip"]!.ToString());

        var dryRun = await _kubectl.RunAsync("apply", "--server-side", "--dry-run=server", "-f", Write("ssa-dry", Service("ssa-dry", ports: [(80, 8080)], labels: "app: d")));
        Assert.True(dryRun.ExitCode == 0, dryRun.Stderr);
        Assert.Contains("serverside-applied (server dry run)", dryRun.Stdout, StringComparison.Ordinal);
        Assert.NotEqual(0, (await _kubectl.RunAsync("get", "svc", "ssa-dry")).ExitCode);
    }

    [Fact]
    public async Task Every_write_records_its_manager_and_a_single_empty_entry_clears_them()
    {
        var created = await _kubectl.RunAsync("create", "-f", Write("ssa-create", Service("ssa-create", ports: [(80, 8080)], labels: "app: cr")));
        Assert.True(created.ExitCode == 0, created.Stderr);
        var labeled = await _kubectl.RunAsync("label", "svc", "ssa-create", "tier=web");
        Assert.True(labeled.ExitCode == 0, labeled.Stderr);

        var entries = (await GetAsync("svc", "ssa-create"))["metadata"]!["managedFields"]!.AsArray().ToDictionary(e => e!["manager"]!.ToString());
        Assert.Equal("Update", entries["kubectl-create"]!["operation"]!.ToString());
        Assert.NotNull(entries["kubectl-create"]!["fieldsV1"]!["f:spec"]!["f:ports"]!["."]);
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:tier":{}}}}""", entries["kubectl-label"]!["fieldsV1"]!.ToJsonString());

        var cleared = await _kubectl.RunAsync("patch", "svc", "ssa-create", "--type=merge", "-p", """{"metadata":{"managedFields":[{}]}}""");
        Assert.True(cleared.ExitCode == 0, cleared.Stderr);
        Assert.Null((await GetAsync("svc", "ssa-create"))["metadata"]!["managedFields"]);
    }

    [Fact]
    public async Task Apply_without_a_field_manager_is_refused_as_kube_apiserver_refuses_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/namespaces/default/services/ssa-nomanager")
        {
            Content = new StringContent(Service("ssa-nomanager", ports: [(80, 80)], labels: "app: n"), Encoding.UTF8, "application/apply-patch+yaml"),
        };
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", status["message"]!.ToString());
    }

    private static string Service(string name, (int Port, int Target)[] ports, string labels) =>
        $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          labels:
            {labels}
        spec:
          selector:
            app: {name}
          ports:
        {string.Concat(ports.Select(p => $"  - port: {p.Port}\n    name: p{p.Port}\n    targetPort: {p.Target}\n"))}
        """;

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_directory, name + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private async Task<CliResult> ApplyAsync(string yaml)
    {
        var name = yaml.Split("name: ")[1].Split('\n')[0].Trim();
        var result = await _kubectl.RunAsync("apply", "--server-side", "-f", Write(name, yaml));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result;
    }

    private async Task<JsonNode> GetAsync(string kind, string name)
    {
        var result = await _kubectl.RunAsync("get", kind, name, "-o", "json", "--show-managed-fields");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonNode.Parse(result.Stdout)!;
    }
}

using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>kubectl's error paths against svcproxy print what they print against kube-apiserver, exit code 1.</summary>
public sealed class KubectlErrorTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-kubectl-errors-").FullName;
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
    public async Task Create_conflicts_dry_run_and_field_validation()
    {
        var redis = Path.Combine(AppContext.BaseDirectory, "samples", "manifests", "redis-svc.yaml");
        Assert.Equal("service/redis created\n", (await _kubectl.RunAsync("create", "-f", redis)).Stdout);

        var again = await _kubectl.RunAsync("create", "-f", redis);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"Error from server (AlreadyExists): error when creating \"{redis}\": services \"redis\" already exists\n", again.Stderr);

        var missing = await _kubectl.RunAsync("get", "svc", "nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error from server (NotFound): services \"nope\" not found\n", missing.Stderr);
        Assert.Equal("Error from server (NotFound): services \"nope\" not found\n", (await _kubectl.RunAsync("describe", "svc", "nope")).Stderr);
        Assert.Equal("Error from server (NotFound): services \"nope\" not found\n", (await _kubectl.RunAsync("delete", "svc", "nope")).Stderr);

        // Server-side dry run: validated and answered, nothing stored.
        var other = Write("other.yaml", Service("other", "ports:\n  - port: 80\n"));
        var dryRun = await _kubectl.RunAsync("create", "-f", other, "--dry-run=server");
        Assert.Equal((0, "service/other created (server dry run)\n"), (dryRun.ExitCode, dryRun.Stdout));
        Assert.Equal("service/other created (server dry run)\n", (await _kubectl.RunAsync("apply", "-f", other, "--dry-run=server")).Stdout);
        Assert.Equal("Error from server (NotFound): services \"other\" not found\n", (await _kubectl.RunAsync("get", "svc", "other")).Stderr);

        // kubectl sees fieldValidation in the OpenAPI v3 PATCH operation and lets the server validate strictly.
        var unknown = Write("unknown.yaml", Service("typo", "portz:\n  - port: 80\n"));
        var strict = await _kubectl.RunAsync("apply", "-f", unknown);
        Assert.Equal(1, strict.ExitCode);
        Assert.Equal("Error from server (BadRequest): error when creating \"unknown.yaml\": Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field \"spec.portz\"\n", strict.Stderr.Replace(_directory + "/", string.Empty, StringComparison.Ordinal));

        // Warn: the unknown field is dropped with a warning, and the Service (now without ports) is invalid.
        var warn = await _kubectl.RunAsync("create", "-f", unknown, "--validate=warn");
        Assert.Equal(1, warn.ExitCode);
        Assert.Equal("Warning: unknown field \"spec.portz\"\nThe Service \"typo\" is invalid: spec.ports: Required value\n", warn.Stderr);

        // Several causes: kubectl lists them, one per line, in the order kube-apiserver reports them.
        var invalid = Write("invalid.yaml", Service("bad", "type: NodePort\n  sessionAffinity: Sticky\n  ports:\n  - port: 70000\n"));
        var refused = await _kubectl.RunAsync("apply", "-f", invalid);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal(
            """
            The Service "bad" is invalid: 
            * spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive
            * spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive
            * spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"

            """,
            refused.Stderr);
    }

    [Fact]
    public async Task Replace_with_a_stale_resource_version_is_a_conflict()
    {
        var file = Write("stale.yaml", Service("stale", "ports:\n  - port: 80\n"));
        Assert.Equal("service/stale created\n", (await _kubectl.RunAsync("create", "-f", file)).Stdout);
        var current = Write("current.yaml", (await _kubectl.RunAsync("get", "svc", "stale", "-o", "yaml")).Stdout);
        Assert.Equal("service/stale patched\n", (await _kubectl.RunAsync("patch", "svc", "stale", "-p", """{"metadata":{"labels":{"touched":"yes"}}}""")).Stdout);

        var replace = await _kubectl.RunAsync("replace", "-f", current);
        Assert.Equal(1, replace.ExitCode);
        Assert.Equal(
            $"Error from server (Conflict): error when replacing \"{current}\": Operation cannot be fulfilled on services \"stale\": the object has been modified; please apply your changes to the latest version and try again\n",
            replace.Stderr);

        var fresh = Write("fresh.yaml", (await _kubectl.RunAsync("get", "svc", "stale", "-o", "yaml")).Stdout.Replace("touched: \"yes\"", "touched: again", StringComparison.Ordinal));
        Assert.Equal("service/stale replaced\n", (await _kubectl.RunAsync("replace", "-f", fresh)).Stdout);
        Assert.Equal("again", (await _kubectl.RunAsync("get", "svc", "stale", "-o", "jsonpath={.metadata.labels.touched}")).Stdout);
    }

    private static string Service(string name, string spec) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
        spec:
          {spec}
        """;

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }
}

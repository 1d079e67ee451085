using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;
using SampleManifests = ServiceProxy.FunctionalTests.Host.Manifests;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// The seed's transcript with the real kubectl against svcproxy: apply the sample manifests, get,
/// describe, curl through the NodePort, patch session affinity (and the seed's typo), re-apply, delete.
/// The redis Service and the Pods are the sample files verbatim; myapp gets the test's free NodePort
/// and the test backends' named port, since test backends listen on OS-picked ports.
/// </summary>
public sealed class KubectlSeedTranscriptTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-kubectl-seed-").FullName;
    private HttpBackends _myapp = null!;
    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;
    private int _nodePort;

    public async Task InitializeAsync()
    {
        _myapp = await HttpBackends.StartAsync("myapp-deploy-69b47bc96d-4hxxw", "myapp-deploy-69b47bc96d-95bc4", "myapp-deploy-69b47bc96d-pjv74");
        _nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{_nodePort}-{_nodePort}"]);
        _kubectl = Kubectl.ForServer(_host.AdminUrl);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
        await _myapp.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Apply_get_describe_patch_and_delete_as_against_a_cluster()
    {
        // The sample Pods and the redis Service, verbatim.
        var pods = await Ok("apply", "-f", Sample("pods.yaml"));
        Assert.Equal("pod/myapp-deploy-1 created\npod/myapp-deploy-2 created\npod/myapp-deploy-3 created\npod/redis-0 created\n", pods.Stdout);
        Assert.Equal("service/redis created\n", (await Ok("apply", "-f", Sample("redis-svc.yaml"))).Stdout);

        var labels = await Ok("get", "pods", "--show-labels");
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"], Header(labels.Stdout));
        Assert.Equal(["myapp-deploy-1", "1/1", "Running", "0"], Row(labels.Stdout, "myapp-deploy-1")[..4]);
        Assert.Equal("app=myapp,release=canary", Row(labels.Stdout, "myapp-deploy-1")[5]);
        Assert.Equal("app=redis,role=logstor", Row(labels.Stdout, "redis-0")[5]);

        var describe = await Ok("describe", "svc", "redis");
        Assert.Contains("Name:              redis\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Namespace:         default\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Selector:          app=redis,role=logstor\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Type:              ClusterIP\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Port:              <unset>  6379/TCP\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("TargetPort:        6379/TCP\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Endpoints:         127.0.0.21:6379\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Contains("Session Affinity:  None\n", describe.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\nEvents:\n +Type +Reason +Age +From +Message\n +---- .*\n +Normal +ClusterIPAllocated +\S+ +svcproxy-allocator +Allocated cluster IP [0-9.]+\n$", describe.Stdout);

        // The sample myapp Pods point at 127.0.0.11-13:80, where nothing listens in a test: replace them with live backends.
        var deleted = await Ok("delete", "pod", "myapp-deploy-1", "myapp-deploy-2", "myapp-deploy-3");
        Assert.Equal("pod \"myapp-deploy-1\" deleted\npod \"myapp-deploy-2\" deleted\npod \"myapp-deploy-3\" deleted\n", deleted.Stdout);
        Assert.Equal(3, (await Ok("apply", "-f", Write("backends.yaml", _myapp.PodManifests(SampleManifests.MyAppLabels)))).Stdout.Split('\n').Count(l => l.EndsWith(" created", StringComparison.Ordinal)));

        var myappFile = Write("myapp-svc.yaml", SampleManifests.Sample("myapp-svc.yaml", _nodePort));
        Assert.Equal("service/myapp created\n", (await Ok("apply", "-f", myappFile)).Stdout);

        var get = await Ok("get", "svc");
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Header(get.Stdout));
        var myapp = Row(get.Stdout, "myapp");
        Assert.Equal(["myapp", "NodePort"], myapp[..2]);
        Assert.Matches(@"^127\.\d+\.\d+\.\d+$", myapp[2]);
        Assert.Equal(["<none>", $"80:{_nodePort}/TCP"], myapp[3..5]);
        Assert.Matches(@"^\d+s$", myapp[5]);
        Assert.Equal(["redis", "ClusterIP", "<none>", "6379/TCP"], [.. Row(get.Stdout, "redis")[..2], .. Row(get.Stdout, "redis")[3..5]]);
        AssertAligned(get.Stdout);

        var wide = await Ok("get", "svc", "-o", "wide");
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], Header(wide.Stdout));
        Assert.Equal("app=myapp,release=canary", Row(wide.Stdout, "myapp")[6]);

        var all = await Ok("get", "svc", "-A");
        Assert.Equal(["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Header(all.Stdout));
        Assert.Equal(["default", "myapp", "NodePort"], Row(all.Stdout, "myapp", column: 1)[..3]);
        Assert.Equal(Lines(get.Stdout).Length, Lines((await Ok("get", "svc", "-n", "default")).Stdout).Length);
        Assert.Equal("No resources found in elsewhere namespace.\n", (await Ok("get", "svc", "-n", "elsewhere")).Stderr);

        var yaml = await Ok("get", "svc", "myapp", "-o", "yaml");
        Assert.StartsWith("apiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n", yaml.Stdout, StringComparison.Ordinal);
        Assert.Contains($"  - nodePort: {_nodePort}\n    port: 80\n    protocol: TCP\n    targetPort: http\n", yaml.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"  creationTimestamp: ""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""\n", yaml.Stdout);

        var json = JsonNode.Parse((await Ok("get", "svc", "redis", "-o", "json")).Stdout)!;
        Assert.Equal("redis", json["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(6379, json["spec"]!["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Null(json["spec"]!["ports"]![0]!["nodePort"]);

        var endpoints = await Ok("get", "endpoints");
        Assert.Equal(["NAME", "ENDPOINTS", "AGE"], Header(endpoints.Stdout));
        Assert.Equal("127.0.0.21:6379", Row(endpoints.Stdout, "redis")[1]);
        Assert.Equal(string.Join(',', _myapp.Pods.Select(p => $"127.0.0.1:{p.Port}").Order(StringComparer.Ordinal)), string.Join(',', Row(endpoints.Stdout, "myapp")[1].Split(',').Order(StringComparer.Ordinal)));

        // Round robin through the NodePort, then the seed's patch to ClientIP: sticky at once.
        var url = $"http://127.0.0.1:{_nodePort}/hostname.html";
        AssertRoundRobin(await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 3));
        Assert.Equal("service/myapp patched\n", (await Ok("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"ClientIP"}}""")).Stdout);
        Assert.Single((await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 1)).Distinct());

        // The seed's typo: refused exactly as kube-apiserver refuses it, and nothing changes.
        var typo = await _kubectl.RunAsync("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"ClusterIP"}}""");
        Assert.Equal(1, typo.ExitCode);
        Assert.Equal("The Service \"myapp\" is invalid: spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"\n", typo.Stderr);
        Assert.Equal("ClientIP", (await Ok("get", "svc", "myapp", "-o", "jsonpath={.spec.sessionAffinity}")).Stdout);

        Assert.Equal("service/myapp patched\n", (await Ok("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"None"}}""")).Stdout);
        AssertRoundRobin(await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 3));
        Assert.Equal("service/myapp patched (no change)\n", (await Ok("patch", "svc", "myapp", "-p", """{"spec":{"sessionAffinity":"None"}}""")).Stdout);

        // Client-side apply: the file never set sessionAffinity, so re-applying it leaves the patch alone; the edit configures.
        Assert.Equal("service/myapp unchanged\n", (await Ok("apply", "-f", myappFile)).Stdout);
        var edited = Write("myapp-svc.yaml", SampleManifests.Sample("edits/myapp-svc-clientip.yaml", _nodePort));
        Assert.Equal("service/myapp configured\n", (await Ok("apply", "-f", edited)).Stdout);
        Assert.Single((await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 1)).Distinct());
        Assert.Equal("service/myapp unchanged\n", (await Ok("apply", "-f", edited)).Stdout);

        var describeMyapp = await Ok("describe", "svc", "myapp");
        Assert.Contains("Session Affinity:         ClientIP\n", describeMyapp.Stdout, StringComparison.Ordinal);
        Assert.Contains("External Traffic Policy:  Cluster\n", describeMyapp.Stdout, StringComparison.Ordinal);
        Assert.Contains($"NodePort:                 <unset>  {_nodePort}/TCP\n", describeMyapp.Stdout, StringComparison.Ordinal);

        Assert.Equal("service/myapp patched\n", (await Ok("patch", "svc", "myapp", "--type", "merge", "-p", """{"spec":{"sessionAffinity":"None"}}""")).Stdout);
        AssertRoundRobin(await Traffic.EventuallyAsync(url, names => names.Distinct().Count() == 3));

        Assert.Equal("service \"myapp\" deleted\n", (await Ok("delete", "svc", "myapp")).Stdout);
        var gone = await _kubectl.RunAsync("get", "svc", "myapp");
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal("Error from server (NotFound): services \"myapp\" not found\n", gone.Stderr);
        await Traffic.AssertRefusedAsync(url);
    }

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await _kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }

    /// <summary>Six requests over three pods, strictly in turn.</summary>
    private void AssertRoundRobin(List<string> names)
    {
        Assert.Equal(6, names.Count);
        Assert.Equal(_myapp.Pods.Select(p => p.Name).Order(), names.Distinct().Order());
        for (var i = 3; i < names.Count; i++)
        {
            Assert.Equal(names[i - 3], names[i]);
        }
    }

    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "samples", "manifests", name);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }
}

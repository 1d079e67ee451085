using System.Text;
using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

public class ManifestLoaderTests
{
    private const string Redis = """
        apiVersion: v1
        kind: Service
        metadata:
          name: redis
        spec:
          selector:
            app: redis
          ports:
          - port: 6379
        """;

    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: redis-0
          labels:
            app: redis
        spec:
          containers:
          - name: redis
            image: redis
            command: ["redis-server"]
            args: ["--port", "6379"]
            env:
            - name: A
              value: "1"
            ports:
            - containerPort: 6379
          nodeName: node-1
        status:
          phase: Running
          podIP: 127.0.0.21
          podIPs:
          - ip: 127.0.0.21
          conditions:
          - type: Ready
            status: "True"
            lastTransitionTime: "2019-08-31T02:32:18Z"
        """;

    private static string[] Errors(string text, string source = "test.yaml") =>
        ManifestReader.LoadText(text, source).Errors.Select(e => e.ToString()).ToArray();

    [Fact]
    public void LoadsAServiceWithDefaults()
    {
        var result = ManifestReader.LoadText(Redis, "redis.yaml");

        var loaded = Assert.Single(result.Objects);
        var service = Assert.IsType<Service>(loaded.Object);
        Assert.Equal("default/redis", service.Key);
        Assert.Equal("TCP", service.Spec.Ports![0].Protocol);
        Assert.Equal(IntOrString.FromInt(6379), service.Spec.Ports[0].TargetPort);
        Assert.Equal("redis.yaml", loaded.Source);
        Assert.Equal(0, loaded.DocumentIndex);
    }

    [Fact]
    public void LoadsAPodWithTheCommonFields()
    {
        var result = ManifestReader.LoadText(Pod);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var pod = Assert.IsType<Pod>(Assert.Single(result.Objects).Object);
        Assert.Equal("127.0.0.21", pod.Status!.PodIP);
        Assert.Equal("node-1", pod.Spec!.NodeName);
        Assert.Equal(6379, pod.Spec.Containers![0].Ports![0].ContainerPort);
        Assert.Equal("TCP", pod.Spec.Containers[0].Ports![0].Protocol);
        Assert.True(pod.IsReady);
    }

    [Fact]
    public void SourceMapLocatesFieldsAndMissingFieldsByTheirNearestAncestor()
    {
        var map = ManifestReader.LoadText(Redis).Objects.Single().SourceMap;

        Assert.Equal(new SourceLocation(9, 5), map.Locate("spec.ports[0].port"));
        Assert.True(map.TryGetLocation("spec.selector", out var selector));
        Assert.Equal(6, selector.Line);
        Assert.False(map.TryGetLocation("spec.ports[0].nodePort", out _));
        Assert.Equal(new SourceLocation(9, 5), map.Locate("spec.ports[0].nodePort"));
        Assert.Equal(5, map.Locate("spec.clusterIP").Line);
        Assert.Equal(1, map.Locate("nothing.here").Line);
    }

    [Fact]
    public void LaterErrorsCanBeLocatedThroughTheLoadedObject()
    {
        var loaded = ManifestReader.LoadText(Redis, "redis.yaml").Objects.Single();
        var error = new ServiceProxy.Kubernetes.Validation.FieldError("spec.ports[0].port", ServiceProxy.Kubernetes.Validation.FieldErrorType.Invalid, "provided port is already allocated", 6379);
        Assert.Equal("redis.yaml:9 spec.ports[0].port: Invalid value: 6379: provided port is already allocated", loaded.Locate(error).ToString());
    }

    [Fact]
    public void MultiDocumentYamlLoadsEveryDocumentAndSkipsEmptyOnes()
    {
        var result = ManifestReader.LoadText($"---\n# only a comment\n---\n{Redis}\n---\n{Pod}\n---\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(["Service", "Pod"], result.Objects.Select(o => o.Object.Kind));
        Assert.Equal([1, 2], result.Objects.Select(o => o.DocumentIndex));
    }

    [Fact]
    public void ErrorsNameTheirDocument()
    {
        var result = ManifestReader.LoadText($"{Redis}\n---\n{Redis.Replace("6379", "0", StringComparison.Ordinal)}\n", "two.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(1, error.DocumentIndex);
        Assert.Equal("two.yaml:19 spec.ports[0].port: Required value", error.ToString());
        Assert.Empty(result.Objects); // all or nothing
    }

    [Fact]
    public void ListItemsAreLoadedWithTheirIndex()
    {
        const string list = """
            apiVersion: v1
            kind: List
            metadata:
              resourceVersion: ""
            items:
            - apiVersion: v1
              kind: Service
              metadata:
                name: web
              spec:
                ports:
                - port: 80
            - apiVersion: v1
              kind: Endpoints
              metadata:
                name: web
              subsets:
              - addresses:
                - ip: 127.0.0.5
                ports:
                - port: 8080
            """;
        var result = ManifestReader.LoadText(list);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(["Service", "Endpoints"], result.Objects.Select(o => o.Object.Kind));
        Assert.Equal([0, 1], result.Objects.Select(o => o.SourceMap.ItemIndex));

        var broken = ManifestReader.LoadText(list.Replace("port: 8080", "port: 80800", StringComparison.Ordinal), "list.yaml");
        var error = Assert.Single(broken.Errors);
        Assert.Equal(1, error.ItemIndex);
        Assert.Equal("list.yaml:21 subsets[0].ports[0].port: Invalid value: 80800: must be between 1 and 65535, inclusive", error.ToString());
        Assert.Equal("list.yaml (document 0, item 1) line 21, column 7: subsets[0].ports[0].port: Invalid value: 80800: must be between 1 and 65535, inclusive", error.ToLongString());
    }

    [Fact]
    public void JsonIsLoadedWithLineNumbers()
    {
        const string json = """
            {
              "apiVersion": "v1",
              "kind": "Service",
              "metadata": { "name": "web" },
              "spec": {
                "ports": [
                  { "port": 80, "targetPort": "http" },
                  { "port": 70000 }
                ]
              }
            }
            """;
        Assert.Equal(
            [
                "web.json:7 spec.ports[0].name: Required value",
                "web.json:8 spec.ports[1].name: Required value",
                "web.json:8 spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "web.json:8 spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive", // defaulted from port, as in Kubernetes
            ],
            Errors(json, "web.json"));

        var valid = ManifestReader.LoadText(json.Replace("{ \"port\": 70000 }", "{ \"name\": \"b\", \"port\": 81 }", StringComparison.Ordinal).Replace("{ \"port\": 80,", "{ \"name\": \"a\", \"port\": 80,", StringComparison.Ordinal));
        Assert.True(valid.Succeeded, string.Join("\n", valid.Errors));
        Assert.Equal(IntOrString.FromString("http"), ((Service)valid.Objects[0].Object).Spec.Ports![0].TargetPort);
    }

    [Theory]
    [InlineData("metadata:\n  name: web\n  labelz: {}\nspec:\n  ports: [{port: 80}]\n", "test.yaml:5 metadata.labelz: field not declared in schema")]
    [InlineData("metadata:\n  name: web\nspec:\n  portz: []\n", "test.yaml:6 spec.portz: field not declared in schema")]
    [InlineData("metadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    hostPort: 80\n", "test.yaml:8 spec.ports[0].hostPort: field not declared in schema")]
    [InlineData("metadata:\n  name: web\nspec:\n  ports: [{port: 80}]\nextra: 1\n", "test.yaml:7 extra: field not declared in schema")]
    public void UnknownFieldsAreErrorsAtTheirLine(string tail, string expected) =>
        Assert.Contains(expected, Errors("apiVersion: v1\nkind: Service\n" + tail));

    [Theory]
    [InlineData("kind: Deployment\napiVersion: v1\n", "test.yaml:1 kind: Unsupported value: \"Deployment\": supported values: \"Endpoints\", \"List\", \"Node\", \"Pod\", \"Service\"")]
    [InlineData("kind: Service\napiVersion: apps/v1\n", "test.yaml:2 apiVersion: Unsupported value: \"apps/v1\": supported values: \"v1\"")]
    [InlineData("kind: Service\n", "test.yaml:1 apiVersion: Required value")]
    [InlineData("apiVersion: v1\nmetadata: {}\n", "test.yaml:1 kind: Required value")]
    [InlineData("- a\n- b\n", "test.yaml:1: a manifest must be an object with apiVersion and kind")]
    public void UnknownKindsAndVersionsAreErrors(string text, string expected) =>
        Assert.Equal([expected], Errors(text));

    [Theory]
    [InlineData("  - port: \"80\"\n", "test.yaml:7 spec.ports[0].port: Invalid value: \"80\": must be an integer")]
    [InlineData("  - port: 80.5\n", "test.yaml:7 spec.ports[0].port: Invalid value: 80.5: must be an integer")]
    [InlineData("  - port: 99999999999\n", "test.yaml:7 spec.ports[0].port: Invalid value: 99999999999: must be a 32-bit integer")]
    [InlineData("  - port: 80\n    name: 8080\n", "test.yaml:8 spec.ports[0].name: Invalid value: 8080: must be a string (quote it in YAML)")]
    [InlineData("  - port: 80\n    protocol: [TCP]\n", "test.yaml:8 spec.ports[0].protocol: Invalid value: [...]: must be a string")]
    [InlineData("  - port: 80\n    targetPort: true\n", "test.yaml:8 spec.ports[0].targetPort: Invalid value: true: must be an integer or a string")]
    [InlineData("  - port\n", "test.yaml:7 spec.ports[0]: Invalid value: \"port\": must be an object")]
    public void WrongScalarTypesAreErrors(string port, string expected)
    {
        var text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n" + port;
        Assert.Equal([expected], Errors(text));
    }

    [Fact]
    public void UnquotedNumbersAndBooleansAreNotStringsAsInKubectl() =>
        Assert.Equal(
            [
                "test.yaml:4 metadata.labels: Invalid value: 1.0: must be a string (quote it in YAML)",
                "test.yaml:5 metadata.labels: Invalid value: yes: must be a string (quote it in YAML)",
            ],
            Errors("apiVersion: v1\nkind: Service\nmetadata:\n  labels: {version: 1.0,\n    canary: yes}\n  name: web\nspec:\n  ports: [{port: 80}]\n"));

    [Fact]
    public void NullMeansAbsent()
    {
        var result = ManifestReader.LoadText("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  creationTimestamp: null\n  labels: ~\nspec:\n  clusterIP:\n  ports: [{port: 80, nodePort: null}]\nstatus:\n  loadBalancer: {}\n");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }

    [Fact]
    public void SyntaxErrorsGiveTheParsersLineAndColumn()
    {
        var result = ManifestReader.LoadText("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n   bad: indent\n", "bad.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal(ManifestErrorKind.Syntax, error.Kind);
        Assert.Equal((5, 7), (error.Line, error.Column));
        Assert.StartsWith("bad.yaml:5:7: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void DocumentsBeforeASyntaxErrorAreStillChecked()
    {
        var text = Redis.Replace("6379", "0", StringComparison.Ordinal) + "\n---\nkey: [unclosed\n";
        var errors = Errors(text);
        Assert.Equal("test.yaml:9 spec.ports[0].port: Required value", errors[0]);
        Assert.StartsWith("test.yaml:12:1: ", errors[1], StringComparison.Ordinal);
        Assert.Equal(2, errors.Length);
    }

    [Fact]
    public void DuplicateKeysAreSyntaxErrors()
    {
        var error = Assert.Single(ManifestReader.LoadText("apiVersion: v1\nkind: Service\nkind: Pod\n", "dup.yaml").Errors);
        Assert.Equal("dup.yaml:3:1: duplicate field \"kind\"", error.ToString());
    }

    [Fact]
    public void AliasBombsAreRefused()
    {
        var text = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 8; i++)
        {
            text.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        var error = Assert.Single(ManifestReader.LoadText(text.ToString()).Errors);
        Assert.Contains("more than 100000 nodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectsDefinedTwiceInOneLoadAreRefused()
    {
        var result = ManifestReader.LoadText($"{Redis}\n---\n{Redis}\n", "twice.yaml");
        Assert.Equal(["twice.yaml:14 metadata.name: Duplicate value: \"redis\": Service default/redis is already defined at twice.yaml:4"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void DirectoriesLoadManifestFilesInOrderAndNotRecursivelyByDefault()
    {
        var dir = Directory.CreateTempSubdirectory("sp-manifests-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "b.yml"), Pod);
            File.WriteAllText(Path.Combine(dir.FullName, "a.yaml"), Redis);
            File.WriteAllText(Path.Combine(dir.FullName, "c.json"), """{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"redis"},"subsets":[]}""");
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "not a manifest: [");
            var sub = dir.CreateSubdirectory("nested");
            File.WriteAllText(Path.Combine(sub.FullName, "d.yaml"), Redis.Replace("name: redis", "name: other", StringComparison.Ordinal));

            var flat = ManifestReader.LoadDirectory(dir.FullName);
            Assert.True(flat.Succeeded, string.Join("\n", flat.Errors));
            Assert.Equal(["a.yaml", "b.yml", "c.json"], flat.Objects.Select(o => Path.GetFileName(o.Source)));

            var deep = ManifestReader.LoadDirectory(dir.FullName, new ManifestReaderOptions { Recursive = true });
            Assert.Equal(4, deep.Objects.Count);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void MissingAndOversizedSourcesAreIoErrors()
    {
        var missing = Path.Combine(Path.GetTempPath(), "sp-no-such-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Single(ManifestReader.LoadPaths([missing]).Errors);
        Assert.Equal(ManifestErrorKind.Io, error.Kind);
        Assert.Equal($"{missing}: no such file or directory", error.ToString());

        var big = ManifestReader.LoadText(Redis, "big.yaml", new ManifestReaderOptions { MaxSourceBytes = 10 });
        Assert.Equal(["big.yaml: larger than 10 bytes"], big.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public async Task StreamsAreReadAsUtf8WithinTheLimit()
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(Redis));
        var result = await ManifestReader.LoadStreamAsync(body, "request");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));

        using var invalid = new MemoryStream([0x61, 0x3a, 0x20, 0xff, 0xfe]);
        Assert.Equal(["request: not valid UTF-8 text"], (await ManifestReader.LoadStreamAsync(invalid, "request")).Errors.Select(e => e.ToString()));

        using var large = new MemoryStream(new byte[100_000]);
        var tooLarge = await ManifestReader.LoadStreamAsync(large, "request", new ManifestReaderOptions { MaxSourceBytes = 50_000 });
        Assert.Equal(["request: larger than 50000 bytes"], tooLarge.Errors.Select(e => e.ToString()));
    }
}

using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

/// <summary>The corrected manifests in samples/manifests (copied next to the test assembly) load cleanly.</summary>
public class SampleManifestTests
{
    private static readonly string Samples = Path.Combine(AppContext.BaseDirectory, "samples", "manifests");

    private static string Sample(string name) => Path.Combine(Samples, name);

    [Theory]
    [InlineData("redis-svc.yaml", 1)]
    [InlineData("myapp-svc.yaml", 1)]
    [InlineData("edits/myapp-svc-clientip.yaml", 1)]
    [InlineData("pods.yaml", 4)]
    [InlineData("endpoints-example.yaml", 2)]
    public void SampleLoadsCleanly(string name, int objects)
    {
        var result = ManifestReader.LoadFile(Sample(name));
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(objects, result.Objects.Count);
    }

    [Fact]
    public void CorrectedRedisHasOnePortOnTheRedisSelector()
    {
        var service = (Service)ManifestReader.LoadFile(Sample("redis-svc.yaml")).Objects.Single().Object;
        var port = Assert.Single(service.Spec.Ports!);
        Assert.Equal((6379, IntOrString.FromInt(6379)), (port.Port, port.TargetPort!.Value));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "redis", ["role"] = "logstor" }, service.Spec.Selector);
        Assert.Equal(ServiceTypes.ClusterIP, service.Spec.Type);
    }

    [Fact]
    public void PodsServeTheSampleServices()
    {
        var result = ManifestReader.LoadPaths([Sample("redis-svc.yaml"), Sample("myapp-svc.yaml"), Sample("pods.yaml"), Sample("endpoints-example.yaml")]);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));

        var pods = result.Objects.Select(o => o.Object).OfType<Pod>().ToArray();
        foreach (var service in result.Objects.Select(o => o.Object).OfType<Service>().Where(s => s.Spec.Selector is not null))
        {
            var selected = pods.Where(p => service.Spec.Selector!.All(kv => p.Metadata.Labels?.GetValueOrDefault(kv.Key) == kv.Value)).ToArray();
            Assert.NotEmpty(selected);
            var targetPort = service.Spec.Ports![0].TargetPort!.Value.IntValue;
            Assert.All(selected, p =>
            {
                Assert.True(p.IsReady);
                Assert.StartsWith("127.0.0.", p.Status!.PodIP, StringComparison.Ordinal);
                Assert.Contains(p.Spec!.Containers!.SelectMany(c => c.Ports!), cp => cp.ContainerPort == targetPort);
            });
        }

        var endpoints = result.Objects.Select(o => o.Object).OfType<Endpoints>().Single();
        Assert.Equal("default/external-db", endpoints.Key);
        Assert.Null(result.Objects.Select(o => o.Object).OfType<Service>().Single(s => s.Metadata.Name == "external-db").Spec.Selector);
    }

    [Fact]
    public void TheSampleFolderLoadsCleanlyAsOneSet()
    {
        var result = ManifestReader.LoadDirectory(Samples);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(["external-db", "myapp", "redis"], result.Objects.Select(o => o.Object).OfType<Service>().Select(s => s.Metadata.Name).Order());
    }

    [Fact]
    public void TheClientIPEditRedefinesMyappSoLoadingBothIsRefused()
    {
        var result = ManifestReader.LoadPaths([Sample("myapp-svc.yaml"), Sample("edits/myapp-svc-clientip.yaml")]);

        var error = Assert.Single(result.Errors);
        Assert.Empty(result.Objects);
        Assert.Contains("metadata.name: Duplicate value: \"myapp\": Service default/myapp is already defined at", error.ToString(), StringComparison.Ordinal);
    }
}

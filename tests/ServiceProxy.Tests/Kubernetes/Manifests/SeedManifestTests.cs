using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

/// <summary>The Service manifests of the seed blog post, verbatim, and exactly what a user is told about them.</summary>
public class SeedManifestTests
{
    private const string CommentSpace = "full-width space (U+3000) before '#': YAML comments need an ASCII space before '#'";

    [Fact]
    public void SeedDocumentIsFound() => Assert.True(File.Exists(SeedDocument.Path));

    [Fact]
    public void RedisManifestHasFullWidthSpacesAndASplitPortList()
    {
        var text = SeedDocument.Extract("cat", "redis-svc.yaml");
        Assert.StartsWith("apiVersion: v1\nkind: Service\n", text, StringComparison.Ordinal);
        Assert.Contains("\u3000\u3000#", text, StringComparison.Ordinal);

        var result = ManifestReader.LoadText(text, "redis-svc.yaml");

        Assert.False(result.Succeeded);
        Assert.Empty(result.Objects);
        Assert.Equal(
            [
                $"redis-svc.yaml:7 spec.selector: {CommentSpace}",
                $"redis-svc.yaml:10 spec.type: {CommentSpace}",
                $"redis-svc.yaml:11 spec.ports: {CommentSpace}",
                $"redis-svc.yaml:12 spec.ports[0].port: {CommentSpace}",
                "redis-svc.yaml:12 spec.ports[0].name: Required value",
                $"redis-svc.yaml:13 spec.ports[1].targetPort: {CommentSpace}",
                "redis-svc.yaml:13 spec.ports[1].name: Required value",
                "redis-svc.yaml:13 spec.ports[1].port: Required value",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void RedisErrorsCarryDocumentColumnAndKind()
    {
        var result = ManifestReader.LoadText(SeedDocument.Extract("cat", "redis-svc.yaml"), "redis-svc.yaml");

        var selector = result.Errors[0];
        Assert.Equal(ManifestErrorKind.FullWidthSpace, selector.Kind);
        Assert.Equal(0, selector.DocumentIndex);
        Assert.Equal(12, selector.Column); // "  selector:" is 11 characters; the first U+3000 is the 12th
        Assert.Equal(
            $"redis-svc.yaml (document 0) line 7, column 12: spec.selector: {CommentSpace}",
            selector.ToLongString());

        var missingPort = result.Errors[^1];
        Assert.Equal(ManifestErrorKind.Validation, missingPort.Kind);
        Assert.Equal(ServiceProxy.Kubernetes.Validation.FieldErrorType.Required, missingPort.FieldError?.Type);
        Assert.Equal("redis-svc.yaml (document 0) line 13, column 5: spec.ports[1].port: Required value", missingPort.ToLongString());
    }

    [Fact]
    public void MyappManifestIsCleanDespiteTheTrailingSpaceAfterPorts()
    {
        var text = SeedDocument.Extract("cat", "myapp-svc.yaml");
        Assert.DoesNotContain("\u3000", text, StringComparison.Ordinal);
        Assert.Contains("  ports: \n", text, StringComparison.Ordinal); // an ASCII trailing space: harmless

        var result = ManifestReader.LoadText(text, "myapp-svc.yaml");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var service = Assert.IsType<Service>(Assert.Single(result.Objects).Object);
        Assert.Equal("default/myapp", service.Key);
        Assert.Equal(ServiceTypes.NodePort, service.Spec.Type);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "myapp", ["release"] = "canary" }, service.Spec.Selector);
        var port = Assert.Single(service.Spec.Ports!);
        Assert.Equal((80, IntOrString.FromInt(80), 30080, "TCP"), (port.Port, port.TargetPort!.Value, port.NodePort, port.Protocol));
        Assert.Equal(SessionAffinities.None, service.Spec.SessionAffinity);
        Assert.Equal("Cluster", service.Spec.ExternalTrafficPolicy);
    }

    [Fact]
    public void EditedMyappManifestHasClientIPAffinityWithTheDefaultTimeout()
    {
        var result = ManifestReader.LoadText(SeedDocument.Extract("vim", "myapp-svc.yaml"), "myapp-svc.yaml");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var service = Assert.IsType<Service>(Assert.Single(result.Objects).Object);
        Assert.Equal(SessionAffinities.ClientIP, service.Spec.SessionAffinity);
        Assert.Equal(10800, service.Spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds);
        Assert.Equal(30080, service.Spec.Ports![0].NodePort);
    }

    [Fact]
    public void PatchToSessionAffinityClusterIPIsRejectedWithKubernetesWording()
    {
        // The post's "kubectl patch svc myapp -p '{"spec":{"sessionAffinity":"ClusterIP"}}'", applied to the edited manifest.
        Assert.Contains("kubectl patch svc myapp -p '{\"spec\":{\"sessionAffinity\":\"ClusterIP\"}}'", SeedDocument.Text, StringComparison.Ordinal);
        var text = SeedDocument.Extract("vim", "myapp-svc.yaml").Replace("sessionAffinity: ClientIP", "sessionAffinity: ClusterIP", StringComparison.Ordinal);

        var result = ManifestReader.LoadText(text, "myapp-svc.yaml");

        Assert.Equal(
            ["myapp-svc.yaml:10 spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\""],
            result.Errors.Select(e => e.ToString()));
    }
}

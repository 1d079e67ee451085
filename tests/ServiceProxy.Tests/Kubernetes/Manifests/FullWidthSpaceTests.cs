using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

/// <summary>
/// A full-width space (U+3000) is not white space to YAML; wherever it stands for one, the user is
/// told so at its line, and the rest of the file is still checked as if it were an ASCII space.
/// </summary>
public class FullWidthSpaceTests
{
    private const string Comment = "full-width space (U+3000) before '#': YAML comments need an ASCII space before '#'";
    private const string Separator = "full-width space (U+3000) is not a space in YAML: indent and separate with ASCII spaces";

    private static string Service(string specLines) =>
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n" + specLines;

    private static string[] Errors(string text) =>
        ManifestReader.LoadText(text, "svc.yaml").Errors.Select(e => e.ToString()).ToArray();

    [Fact]
    public void AValueFollowedByAFullWidthSpaceCommentIsReportedNotSilentlyKept()
    {
        // YAML alone would read type as "ClusterIP　　#指定服务类型为ClusterIP" (Unsupported value).
        var errors = Errors(Service("  type: ClusterIP\u3000\u3000#指定服务类型为ClusterIP\n  ports:\n  - port: 80\n"));
        Assert.Equal([$"svc.yaml:6 spec.type: {Comment}"], errors);
    }

    [Fact]
    public void AKeyFollowedByAFullWidthSpaceCommentIsReported()
    {
        var errors = Errors(Service("  selector:\u3000\u3000#标签选择器\n    app: web\n  ports:\n  - port: 80\n"));
        Assert.Equal([$"svc.yaml:6 spec.selector: {Comment}"], errors);
    }

    [Fact]
    public void AFullWidthSpaceMixedWithAsciiSpacesBeforeHashIsReported() =>
        Assert.Equal([$"svc.yaml:7 spec.ports[0].port: {Comment}"], Errors(Service("  ports:\n  - port: 80 \u3000 # 端口\n")));

    [Theory]
    [InlineData("  ports:\n\u3000 - port: 80\n", 7)]
    [InlineData("  ports:\n  - port:\u300080\n", 7)]
    [InlineData("  ports:\n  - port: 80\u3000\n", 7)]
    public void AFullWidthSpaceUsedAsIndentationOrSeparatorIsReported(string spec, int line)
    {
        Assert.Equal([$"svc.yaml:{line} spec.ports[0].port: {Separator}"], Errors(Service(spec)));
    }

    [Theory]
    [InlineData("  selector:\n    tier: \"front\u3000#1\"\n")]
    [InlineData("  selector:\n    tier: 'front\u3000#1'\n")]
    [InlineData("  selector:\n    tier: front # 注释\u3000#\n")]
    public void FullWidthSpacesInsideQuotedStringsAndCommentsAreContent(string selector)
    {
        var text = Service(selector + "  ports:\n  - port: 80\n");
        var errors = Errors(text);
        Assert.DoesNotContain(errors, e => e.Contains("U+3000", StringComparison.Ordinal));
    }

    [Fact]
    public void FullWidthSpacesBetweenWordsAndInBlockScalarsAreContent()
    {
        var text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    description: 前端\u3000服务\n    notes: |\n      第一行\u3000\u3000#不是注释\n      \u3000缩进\n  labels:\n    app: web\nspec:\n  ports:\n  - port: 80\n";
        var result = ManifestReader.LoadText(text, "svc.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var annotations = ((Service)result.Objects[0].Object).Metadata.Annotations!;
        Assert.Equal("前端\u3000服务", annotations["description"]);
        Assert.Equal("第一行\u3000\u3000#不是注释\n\u3000缩进\n", annotations["notes"]);
    }

    [Fact]
    public void ASyntaxErrorNearAFullWidthSpaceSaysSo()
    {
        // U+3000 inside a plain scalar (not before '#', not a separator) is kept, and here breaks the mapping.
        var text = Service("  selector:\n    app: web\u3000x: y\n    other: z\n");
        var error = Assert.Single(ManifestReader.LoadText(text, "svc.yaml").Errors);
        Assert.Equal(ManifestErrorKind.Syntax, error.Kind);
        Assert.Equal(
            "svc.yaml:7:15: While scanning a plain scalar value, found invalid mapping. (near a full-width space (U+3000): YAML needs ASCII spaces, and comments need an ASCII space before '#')",
            error.ToString());
    }

    [Fact]
    public void RepairKeepsLinesAndColumns()
    {
        var (repaired, found) = FullWidthSpaces.Scan("a: 1\u3000\u3000#x\nb:\u3000#y\n");
        Assert.Equal("a: 1  #x\nb: #y\n", repaired);
        Assert.Equal([new FullWidthSpace(1, 5, FullWidthSpaceKind.BeforeComment), new FullWidthSpace(2, 3, FullWidthSpaceKind.BeforeComment)], found);
    }
}

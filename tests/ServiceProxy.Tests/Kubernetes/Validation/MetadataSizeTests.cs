using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

public sealed class MetadataSizeTests
{
    private static string[] Errors(IReadOnlyDictionary<string, string> annotations)
    {
        var service = ServiceValidationTests.Valid() with { Metadata = new ObjectMeta { Name = "redis", Annotations = annotations } };
        var validator = ObjectValidator.Default;
        return validator.Validate(validator.ApplyDefaults(service)).Select(e => e.ToString()).ToArray();
    }

    private static Dictionary<string, string> Annotations(int count, int valueLength) =>
        Enumerable.Range(0, count).ToDictionary(i => $"example.com/a{i:D4}", _ => new string('v', valueLength));

    [Fact]
    public void Annotations_over_256_KiB_in_total_are_too_long_as_kube_apiserver_says()
    {
        // 300 annotations of 1 KiB: each is fine, together they pass 262144 bytes (keys count too).
        var errors = Errors(Annotations(300, 1024));

        Assert.Equal(["metadata.annotations: Too long: must have at most 262144 bytes"], errors);
    }

    [Fact]
    public void Annotations_of_exactly_256_KiB_are_fine()
    {
        var annotations = Annotations(250, 1024);
        var keys = annotations.Keys.Sum(k => k.Length);
        annotations["example.com/last"] = new string('v', (256 * 1024) - keys - (250 * 1024) - "example.com/last".Length);

        Assert.Equal(256 * 1024, annotations.Sum(a => a.Key.Length + a.Value.Length));
        Assert.Empty(Errors(annotations));
    }

    [Fact]
    public void Annotation_sizes_count_bytes_not_characters()
    {
        // 'é' is two bytes in UTF-8, as Go's len() counts it.
        var errors = Errors(new Dictionary<string, string> { ["a"] = new string('\u00e9', 140 * 1024) });

        Assert.Equal(["metadata.annotations: Too long: must have at most 262144 bytes"], errors);
    }
}

using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

/// <summary>The <c>serviceproxy.io/outlier-*</c> annotations are validated like every other field: a bad one is a field error.</summary>
public sealed class OutlierAnnotationValidationTests
{
    private static string[] Errors(string annotation, string value)
    {
        var service = ServiceValidationTests.Valid() with
        {
            Metadata = new ObjectMeta { Name = "redis", Annotations = new Dictionary<string, string> { [annotation] = value } },
        };
        var validator = ObjectValidator.Default;
        return [.. validator.Validate(validator.ApplyDefaults(service)).Select(e => e.ToString())];
    }

    [Theory]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "0")]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "5")]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "1000")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "1")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "3600")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, "0")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, "100")]
    public void Values_in_range_are_valid(string annotation, string value) => Assert.Empty(Errors(annotation, value));

    [Theory]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "-1", "0 to 1000")]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "five", "0 to 1000")]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "1001", "0 to 1000")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "0", "1 to 3600")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "30s", "1 to 3600")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "3601", "1 to 3600")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, "101", "0 to 100")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, "", "0 to 100")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, "50%", "0 to 100")]
    public void Values_out_of_range_are_invalid_field_errors_on_the_annotation(string annotation, string value, string range)
    {
        var error = Assert.Single(Errors(annotation, value));

        Assert.Equal($"metadata.annotations[{annotation}]: Invalid value: \"{value}\": must be a whole number from {range}", error);
    }
}

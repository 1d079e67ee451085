using System.Globalization;
using ServiceProxy.Configuration;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// The passive-health annotations of a Service (<c>serviceproxy.io/outlier-*</c>), read the same
/// way by validation (a bad value is a 422) and by the data plane's snapshot (a bad value that got
/// in another way is logged and the default used). An annotation left out takes the default of
/// <see cref="OutlierDetectionConfig.Default"/>.
/// </summary>
internal static class OutlierAnnotations
{
    /// <summary>Most failed connects in a row the threshold may ask for.</summary>
    public const int MaxConsecutiveFailures = 1000;

    /// <summary>Longest base ejection time, in seconds (an hour).</summary>
    public const int MaxBaseEjectionSeconds = 3600;

    private static readonly (string Name, int Min, int Max)[] Ranges =
    [
        (ServicePortConfigBuilder.OutlierConsecutiveFailuresAnnotation, 0, MaxConsecutiveFailures),
        (ServicePortConfigBuilder.OutlierBaseEjectionSecondsAnnotation, 1, MaxBaseEjectionSeconds),
        (ServicePortConfigBuilder.OutlierMaxEjectionPercentAnnotation, 0, 100),
    ];

    /// <summary>
    /// The settings the annotations ask for; each present but invalid one is passed to
    /// <paramref name="invalid"/> (annotation, value, what it must be) and its default used.
    /// </summary>
    public static OutlierDetectionConfig Parse(IReadOnlyDictionary<string, string>? annotations, Action<string, string, string>? invalid)
    {
        var defaults = OutlierDetectionConfig.Default;
        if (annotations is null)
        {
            return defaults;
        }

        var values = new[] { defaults.ConsecutiveFailures, (int)defaults.BaseEjectionTime.TotalSeconds, defaults.MaxEjectionPercent };
        var changed = false;
        for (var i = 0; i < Ranges.Length; i++)
        {
            var (name, min, max) = Ranges[i];
            if (!annotations.TryGetValue(name, out var text))
            {
                continue;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                values[i] = value;
                changed = true;
            }
            else
            {
                invalid?.Invoke(name, text ?? string.Empty, string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {min} to {max}"));
            }
        }

        return changed ? new OutlierDetectionConfig(values[0], TimeSpan.FromSeconds(values[1]), values[2]) : defaults;
    }
}

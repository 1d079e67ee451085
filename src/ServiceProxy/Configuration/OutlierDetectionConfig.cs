namespace ServiceProxy.Configuration;

/// <summary>
/// Passive health of one TCP service port, Envoy's consecutive-failure outlier detection: after
/// <see cref="ConsecutiveFailures"/> failed connects in a row to one endpoint (refused, timed out,
/// unreachable), that endpoint leaves the port's rotation for <see cref="BaseEjectionTime"/> times
/// the number of times it has been ejected, at most <see cref="MaxEjectionTime"/> (or the base time
/// when that is longer); then it returns on its own. A successful connect resets its count. At most
/// <see cref="MaxEjectionPercent"/> % of the endpoints are out at once, so the last ones always stay.
/// </summary>
/// <param name="ConsecutiveFailures">Failed connects in a row that eject an endpoint; 0 turns detection off.</param>
/// <param name="BaseEjectionTime">How long the first ejection lasts; each further one lasts one base time longer.</param>
/// <param name="MaxEjectionPercent">Most endpoints out of rotation at once, in percent of the port's endpoints (0–100).</param>
public sealed record OutlierDetectionConfig(int ConsecutiveFailures, TimeSpan BaseEjectionTime, int MaxEjectionPercent)
{
    /// <summary>Default failed connects in a row that eject an endpoint: 5, as Envoy's <c>consecutive_gateway_failure</c>.</summary>
    public const int DefaultConsecutiveFailures = 5;

    /// <summary>
    /// Default ceiling on ejected endpoints: 50 %. Envoy's 10 % ejects nothing below ten endpoints; half
    /// lets one of two endpoints go and always keeps the other half in rotation.
    /// </summary>
    public const int DefaultMaxEjectionPercent = 50;

    /// <summary>Default length of a first ejection: 30 s, as Envoy's <c>base_ejection_time</c>.</summary>
    public static TimeSpan DefaultBaseEjectionTime { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest an ejection lasts, however often the endpoint was ejected: 300 s, as Envoy's <c>max_ejection_time</c>.</summary>
    public static TimeSpan MaxEjectionTime { get; } = TimeSpan.FromSeconds(300);

    /// <summary>Detection on, with the defaults: 5 failures, 30 s, 50 %.</summary>
    public static OutlierDetectionConfig Default { get; } = new(DefaultConsecutiveFailures, DefaultBaseEjectionTime, DefaultMaxEjectionPercent);

    /// <summary>Detection off: every endpoint stays in rotation whatever its connects do.</summary>
    public static OutlierDetectionConfig Disabled { get; } = new(0, DefaultBaseEjectionTime, DefaultMaxEjectionPercent);

    /// <summary>True when failures can eject an endpoint.</summary>
    public bool Enabled => ConsecutiveFailures > 0 && MaxEjectionPercent > 0 && BaseEjectionTime > TimeSpan.Zero;

    /// <summary>How long the <paramref name="ejections"/>-th ejection in a row lasts: the base time times it, capped.</summary>
    public TimeSpan EjectionTime(int ejections)
    {
        var cap = BaseEjectionTime > MaxEjectionTime ? BaseEjectionTime : MaxEjectionTime;
        return ejections >= cap / BaseEjectionTime ? cap : BaseEjectionTime * ejections;
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ServiceProxy.Host.Hosting;

/// <summary>Go's <c>time.Duration</c> text, as kube-controller-manager's and the kubelet's duration flags take and print it.</summary>
internal static partial class GoDurationText
{
    /// <summary><c>10s</c>, <c>1m30s</c>, <c>1.5h</c>, <c>500ms</c>; units ns, us (µs), ms, s, m, h; no sign.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var match = Duration().Match(text);
        if (!match.Success || text == "0")
        {
            return text == "0";
        }

        double ticks = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789.".ToCharArray());
            var number = double.Parse(part.Value[..^unit.Length], CultureInfo.InvariantCulture);
            ticks += number * unit switch
            {
                "ns" => 0.01,
                "us" or "µs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }

        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>As Go prints it: <c>10s</c>, <c>1m30s</c>, <c>1h0m0s</c>, <c>500ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        if (duration < TimeSpan.FromSeconds(1))
        {
            return (duration.Ticks / (double)TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var text = new StringBuilder();
        if (duration.TotalHours >= 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{(long)duration.TotalHours}h");
        }

        if (duration.TotalMinutes >= 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}m");
        }

        var seconds = duration.Seconds + (duration.Ticks % TimeSpan.TicksPerSecond / (double)TimeSpan.TicksPerSecond);
        return text.Append(seconds.ToString(CultureInfo.InvariantCulture)).Append('s').ToString();
    }

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();
}

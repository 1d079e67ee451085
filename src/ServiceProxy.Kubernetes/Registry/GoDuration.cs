using System.Globalization;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>Parses Go's <c>time.ParseDuration</c> syntax (<c>5s</c>, <c>500ms</c>, <c>1m30s</c>, <c>1.5h</c>), as Kubernetes annotations use.</summary>
internal static class GoDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var span = text.AsSpan();
        var negative = span[0] == '-';
        if (span[0] is '-' or '+')
        {
            span = span[1..];
        }

        if (span is "0")
        {
            return true;
        }

        if (span.IsEmpty)
        {
            return false;
        }

        decimal total = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0
                || !decimal.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && !char.IsAsciiDigit(span[unitLength]) && span[unitLength] != '.')
            {
                unitLength++;
            }

            decimal? ticksPerUnit = span[..unitLength] switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => null,
            };
            if (ticksPerUnit is null)
            {
                return false;
            }

            // Compared before multiplying: 20 nines of hours overflow decimal itself, not only TimeSpan.
            if (number > (TimeSpan.MaxValue.Ticks - total) / ticksPerUnit.Value)
            {
                return false;
            }

            total += number * ticksPerUnit.Value;

            span = span[unitLength..];
        }

        duration = TimeSpan.FromTicks((long)total);
        if (negative)
        {
            duration = -duration;
        }

        return true;
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// A port range such as the node port range (kube-apiserver's <c>--service-node-port-range</c>),
/// inclusive: <c>30000-32767</c>, or one port.
/// </summary>
/// <param name="First">The lowest port of the range.</param>
/// <param name="Last">The highest port of the range, at least <paramref name="First"/>.</param>
public readonly record struct PortRange(int First, int Last)
{
    /// <summary>How many ports the range holds.</summary>
    public int Size => Last - First + 1;

    /// <summary>Whether <paramref name="port"/> is within the range.</summary>
    public bool Contains(int port) => port >= First && port <= Last;

    /// <summary>Parses <c>30000-32767</c> (or a single port), within 1-65535 and first ≤ last.</summary>
    /// <exception cref="FormatException"><paramref name="range"/> is not such a range.</exception>
    public static PortRange Parse(string range) =>
        TryParse(range, out var parsed)
            ? parsed
            : throw new FormatException($"invalid node port range \"{range}\": expected e.g. 30000-32767 within 1-65535");

    /// <summary>As <see cref="Parse"/>, without throwing: false when <paramref name="range"/> is not a range.</summary>
    public static bool TryParse([NotNullWhen(true)] string? range, out PortRange parsed)
    {
        parsed = default;
        if (range is null)
        {
            return false;
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        var first = dash < 0 ? range : range[..dash];
        var last = dash < 0 ? range : range[(dash + 1)..];
        if (!int.TryParse(first.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !int.TryParse(last.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || from < 1 || to > 65535 || from > to)
        {
            return false;
        }

        parsed = new PortRange(from, to);
        return true;
    }

    /// <summary><c>FIRST-LAST</c>, as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}

using System.Globalization;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>The node port range (kube-apiserver's <c>--service-node-port-range</c>), inclusive.</summary>
internal readonly record struct PortRange(int First, int Last)
{
    public int Size => Last - First + 1;

    public bool Contains(int port) => port >= First && port <= Last;

    /// <summary>Parses <c>30000-32767</c> (or a single port).</summary>
    public static PortRange Parse(string range)
    {
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        var first = dash < 0 ? range : range[..dash];
        var last = dash < 0 ? range : range[(dash + 1)..];
        if (!int.TryParse(first.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !int.TryParse(last.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || from < 1 || to > 65535 || from > to)
        {
            throw new FormatException($"invalid node port range \"{range}\": expected e.g. 30000-32767 within 1-65535");
        }

        return new PortRange(from, to);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}

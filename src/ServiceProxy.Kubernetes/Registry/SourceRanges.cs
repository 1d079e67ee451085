using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// A LoadBalancer Service's source ranges, as Kubernetes' <c>GetLoadBalancerSourceRanges</c> reads
/// them: <c>spec.loadBalancerSourceRanges</c> (each value space-trimmed) or, when that is empty, the
/// comma-separated annotation <see cref="Annotation"/>. A range may have host bits set
/// (<c>10.0.0.1/8</c> is <c>10.0.0.0/8</c>), as Go's <c>ParseCIDR</c> allows.
/// </summary>
internal static class SourceRanges
{
    /// <summary>The annotation clouds read when the field is empty.</summary>
    public const string Annotation = "service.beta.kubernetes.io/load-balancer-source-ranges";

    /// <summary>The ranges <paramref name="service"/> names; empty when it names none; false when one does not parse.</summary>
    public static bool TryGet(Service service, out ImmutableArray<IPNetwork> ranges)
    {
        IEnumerable<string> values;
        if (service.Spec.LoadBalancerSourceRanges is { Count: > 0 } field)
        {
            values = field;
        }
        else if (service.Metadata.Annotations?.TryGetValue(Annotation, out var text) == true && !string.IsNullOrWhiteSpace(text))
        {
            values = text.Split(',');
        }
        else
        {
            ranges = [];
            return true;
        }

        var parsed = ImmutableArray.CreateBuilder<IPNetwork>();
        foreach (var value in values)
        {
            if (!TryParse(value.Trim(), out var range))
            {
                ranges = [];
                return false;
            }

            parsed.Add(range);
        }

        ranges = parsed.ToImmutable();
        return true;
    }

    /// <summary>Parses <c>address/prefix</c>, clearing host bits.</summary>
    public static bool TryParse(string text, out IPNetwork range)
    {
        range = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0
            || !IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && text.AsSpan(0, slash).Count('.') != 3)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        range = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }
}

using System.Globalization;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Probing;

/// <summary>One container's readiness probe, with the address it defaults to (the Pod's IP).</summary>
internal sealed record ProbeTarget(Probe Probe, Container Container, string PodIP)
{
    /// <summary>
    /// The kubelet's <c>extractPort</c>: a number, or the name of one of the container's ports, or
    /// failing that a name that parses as a number; null with a reason when none fits.
    /// </summary>
    public int? ResolvePort(IntOrString? port, out string error)
    {
        error = string.Empty;
        int number;
        if (port?.IntValue is int value)
        {
            number = value;
        }
        else if (port?.StringValue is { } name)
        {
            var named = Container.Ports?.FirstOrDefault(p => p.Name == name);
            if (named is not null)
            {
                number = named.ContainerPort;
            }
            else if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out number))
            {
                error = $"port {name} not found";
                return null;
            }
        }
        else
        {
            error = "the probe has no port";
            return null;
        }

        if (number is > 0 and < 65536)
        {
            return number;
        }

        error = string.Create(CultureInfo.InvariantCulture, $"invalid port number: {number}");
        return null;
    }

    /// <summary>The probe's host, or the Pod's IP when unset.</summary>
    public string Host(string? host) => string.IsNullOrEmpty(host) ? PodIP : host;

    /// <summary><c>host:port</c>, brackets around an IPv6 address.</summary>
    public static string JoinHostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
}

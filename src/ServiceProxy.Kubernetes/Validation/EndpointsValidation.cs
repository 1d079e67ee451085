using System.Globalization;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// <c>ValidateEndpoints</c>: addresses are IPs, ports 1–65535 with a protocol, named when several; the
/// <see cref="ServingTerminating"/> annotation names only not-ready addresses.
/// </summary>
internal static class EndpointsValidation
{
    public static void Validate(Endpoints endpoints, List<FieldError> errors)
    {
        MetadataValidation.Validate(endpoints.Metadata, KubeNames.IsDns1123Subdomain, errors);

        var subsets = endpoints.Subsets ?? [];
        for (var i = 0; i < subsets.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"subsets[{i}]");
            var subset = subsets[i];
            if (subset.Addresses is not { Count: > 0 } && subset.NotReadyAddresses is not { Count: > 0 })
            {
                errors.Add(new FieldError(path, FieldErrorType.Required, "must specify `addresses` or `notReadyAddresses`"));
            }

            ValidateAddresses(subset.Addresses, path + ".addresses", errors);
            ValidateAddresses(subset.NotReadyAddresses, path + ".notReadyAddresses", errors);

            var ports = subset.Ports ?? [];
            for (var p = 0; p < ports.Count; p++)
            {
                var portPath = string.Create(CultureInfo.InvariantCulture, $"{path}.ports[{p}]");
                var port = ports[p];
                if (ports.Count > 1 && string.IsNullOrEmpty(port.Name))
                {
                    errors.Add(new FieldError(portPath + ".name", FieldErrorType.Required));
                }
                else if (!string.IsNullOrEmpty(port.Name))
                {
                    errors.AddInvalid(portPath + ".name", port.Name, KubeNames.IsDns1123Label(port.Name));
                }

                errors.AddPortNumber(portPath + ".port", port.Port);
                errors.AddProtocol(portPath + ".protocol", port.Protocol);
                if (port.AppProtocol is { } appProtocol)
                {
                    errors.AddInvalid(portPath + ".appProtocol", appProtocol, KubeNames.IsQualifiedName(appProtocol));
                }
            }
        }

        ValidateServingTerminating(endpoints, errors);
    }

    /// <summary>The <see cref="ServingTerminating"/> annotation lists IPs, each one of the not-ready addresses.</summary>
    private static void ValidateServingTerminating(Endpoints endpoints, List<FieldError> errors)
    {
        if (endpoints.Metadata.Annotations?.TryGetValue(ServingTerminating.Annotation, out var text) != true || text is null)
        {
            return;
        }

        var path = $"metadata.annotations[{ServingTerminating.Annotation}]";
        var notReady = (endpoints.Subsets ?? []).SelectMany(s => s.NotReadyAddresses ?? [])
            .Select(a => KubeNames.TryParseIP(a.Ip, out var ip) ? ip.ToString() : null)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!KubeNames.TryParseIP(part, out var ip))
            {
                errors.Add(new FieldError(path, FieldErrorType.Invalid, "must be a comma-separated list of IP addresses", text));
                return;
            }

            if (!notReady.Contains(ip.ToString()))
            {
                errors.Add(new FieldError(path, FieldErrorType.Invalid, $"{part} is not one of the notReadyAddresses", text));
                return;
            }
        }
    }

    private static void ValidateAddresses(IReadOnlyList<EndpointAddress>? addresses, string path, List<FieldError> errors)
    {
        for (var i = 0; i < (addresses?.Count ?? 0); i++)
        {
            var address = addresses![i];
            var addressPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
            errors.AddIP(addressPath + ".ip", address.Ip);
            if (!string.IsNullOrEmpty(address.Hostname))
            {
                errors.AddInvalid(addressPath + ".hostname", address.Hostname, KubeNames.IsDns1123Label(address.Hostname));
            }

            if (!string.IsNullOrEmpty(address.NodeName))
            {
                errors.AddInvalid(addressPath + ".nodeName", address.NodeName, KubeNames.IsDns1123Subdomain(address.NodeName));
            }
        }
    }
}

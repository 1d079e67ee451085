using System.Globalization;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Kubernetes.Validation.FieldPath;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// <c>ValidateService</c> of kube-apiserver (pkg/apis/core/validation), on a defaulted Service, in
/// the same order and with the same messages. Allocation (clusterIP in the service CIDR and free,
/// nodePort in range and free) is the registry's.
/// </summary>
internal static class ServiceValidation
{
    private static readonly string[] SupportedTypes =
        [ServiceTypes.ClusterIP, ServiceTypes.ExternalName, ServiceTypes.LoadBalancer, ServiceTypes.NodePort];

    public static void Validate(Service service, Service? old, List<FieldError> errors)
    {
        MetadataValidation.Validate(service.Metadata, KubeNames.IsDns1035Label, errors);
        OutlierAnnotations.Parse(service.Metadata.Annotations, (name, value, reason) =>
            errors.Add(new FieldError($"metadata.annotations[{name}]", FieldErrorType.Invalid, reason, value)));

        var spec = service.Spec;
        var ports = spec.Ports ?? [];
        var headless = spec.ClusterIP == "None";
        if (ports.Count == 0 && !headless && spec.Type != ServiceTypes.ExternalName)
        {
            errors.Add(new FieldError("spec.ports", FieldErrorType.Required));
        }

        switch (spec.Type)
        {
            case ServiceTypes.LoadBalancer when headless:
                errors.Add(new FieldError("spec.clusterIP", FieldErrorType.Invalid, "may not be set to 'None' for LoadBalancer services", spec.ClusterIP));
                break;
            case ServiceTypes.NodePort when headless:
                errors.Add(new FieldError("spec.clusterIP", FieldErrorType.Invalid, "may not be set to 'None' for NodePort services", spec.ClusterIP));
                break;
            case ServiceTypes.ExternalName:
                ValidateExternalName(spec, errors);
                break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            ValidatePort(ports[i], requireName: ports.Count > 1, names, Index("spec.ports", i), errors);
        }

        MetadataValidation.ValidateLabels(spec.Selector, "spec.selector", errors);
        ValidateSessionAffinity(spec, errors);
        ValidateClusterIP(spec, errors);

        for (var i = 0; i < (spec.ExternalIPs?.Count ?? 0); i++)
        {
            ValidateExternalIP(spec.ExternalIPs![i], Index("spec.externalIPs", i), errors);
        }

        if (string.IsNullOrEmpty(spec.Type))
        {
            errors.Add(new FieldError("spec.type", FieldErrorType.Required));
        }
        else if (!SupportedTypes.Contains(spec.Type))
        {
            errors.AddNotSupported("spec.type", spec.Type, SupportedTypes);
        }

        if (spec.Type == ServiceTypes.ClusterIP)
        {
            for (var i = 0; i < ports.Count; i++)
            {
                if (ports[i].NodePort != 0)
                {
                    errors.Add(new FieldError(Index("spec.ports", i) + ".nodePort", FieldErrorType.Forbidden, "may not be used when `type` is 'ClusterIP'"));
                }
            }
        }

        ValidateUniquePorts(ports, errors);
        LoadBalancerFieldsValidation.ValidateFields(spec, service.Status, errors);
        LoadBalancerFieldsValidation.ValidateClass(spec, old?.Spec, errors);
        ValidateTrafficPolicies(spec, errors);
        LoadBalancerFieldsValidation.ValidateSourceRanges(service, errors);
        ValidateClusterIPsRelatedFields(spec, errors);

        if (old is not null)
        {
            ValidateUpdate(service, old, errors);
        }
    }

    private static void ValidateExternalName(ServiceSpec spec, List<FieldError> errors)
    {
        if (spec.ClusterIPs is { Count: > 0 })
        {
            errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Forbidden, "may not be set for ExternalName services"));
        }

        if (spec.IpFamilies is { Count: > 0 })
        {
            errors.Add(new FieldError("spec.ipFamilies", FieldErrorType.Forbidden, "may not be set for ExternalName services"));
        }

        if (spec.IpFamilyPolicy is not null)
        {
            errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Forbidden, "may not be set for ExternalName services"));
        }

        // The value is a CNAME and may carry the trailing dot of a fully qualified name.
        var cname = spec.ExternalName?.TrimEnd('.') ?? string.Empty;
        if (cname.Length == 0)
        {
            errors.Add(new FieldError("spec.externalName", FieldErrorType.Required));
        }
        else
        {
            errors.AddInvalid("spec.externalName", cname, KubeNames.IsDns1123Subdomain(cname));
        }
    }

    private static void ValidatePort(ServicePort port, bool requireName, HashSet<string> names, string path, List<FieldError> errors)
    {
        if (requireName && string.IsNullOrEmpty(port.Name))
        {
            errors.Add(new FieldError(path + ".name", FieldErrorType.Required));
        }
        else if (!string.IsNullOrEmpty(port.Name))
        {
            errors.AddInvalid(path + ".name", port.Name, KubeNames.IsDns1123Label(port.Name));
            if (!names.Add(port.Name))
            {
                errors.Add(new FieldError(path + ".name", FieldErrorType.Duplicate, BadValue: port.Name));
            }
        }

        errors.AddPortNumber(path + ".port", port.Port);
        errors.AddProtocol(path + ".protocol", port.Protocol);
        if (port.TargetPort is { } target)
        {
            ValidatePortNumOrName(target, path + ".targetPort", errors);
        }

        if (port.NodePort < 0 || port.NodePort > 65535)
        {
            errors.AddInvalid(path + ".nodePort", port.NodePort, [KubeNames.PortRangeMessage]);
        }

        if (port.AppProtocol is { } appProtocol)
        {
            errors.AddInvalid(path + ".appProtocol", appProtocol, KubeNames.IsQualifiedName(appProtocol));
        }
    }

    /// <summary><c>ValidatePortNumOrName</c>: a number 1–65535 or an IANA service name.</summary>
    internal static void ValidatePortNumOrName(IntOrString port, string path, List<FieldError> errors)
    {
        if (port.IntValue is int number)
        {
            errors.AddInvalid(path, number, KubeNames.IsValidPortNum(number));
        }
        else
        {
            var name = port.StringValue ?? string.Empty;
            errors.AddInvalid(path, name, KubeNames.IsValidPortName(name));
        }
    }

    private static void ValidateSessionAffinity(ServiceSpec spec, List<FieldError> errors)
    {
        const string configPath = "spec.sessionAffinityConfig";
        if (string.IsNullOrEmpty(spec.SessionAffinity))
        {
            errors.Add(new FieldError("spec.sessionAffinity", FieldErrorType.Required));
        }
        else if (spec.SessionAffinity is not (SessionAffinities.ClientIP or SessionAffinities.None))
        {
            errors.AddNotSupported("spec.sessionAffinity", spec.SessionAffinity, SessionAffinities.ClientIP, SessionAffinities.None);
        }

        if (spec.SessionAffinity == SessionAffinities.ClientIP)
        {
            const string when = "when session affinity type is ClientIP";
            if (spec.SessionAffinityConfig is null)
            {
                errors.Add(new FieldError(configPath, FieldErrorType.Required, when));
            }
            else if (spec.SessionAffinityConfig.ClientIP is null)
            {
                errors.Add(new FieldError(configPath + ".clientIP", FieldErrorType.Required, when));
            }
            else if (spec.SessionAffinityConfig.ClientIP.TimeoutSeconds is not int timeout)
            {
                errors.Add(new FieldError(configPath + ".clientIP.timeoutSeconds", FieldErrorType.Required, when));
            }
            else if (timeout is <= 0 or > SessionAffinities.MaxTimeoutSeconds)
            {
                errors.Add(new FieldError(
                    configPath + ".clientIP.timeoutSeconds",
                    FieldErrorType.Invalid,
                    string.Create(CultureInfo.InvariantCulture, $"must be greater than 0 and less than {SessionAffinities.MaxTimeoutSeconds}"),
                    timeout));
            }
        }
        else if (spec.SessionAffinity == SessionAffinities.None && spec.SessionAffinityConfig is not null)
        {
            errors.Add(new FieldError(configPath, FieldErrorType.Forbidden, "must not be set when session affinity is None"));
        }
    }

    private static void ValidateClusterIP(ServiceSpec spec, List<FieldError> errors)
    {
        var clusterIP = spec.ClusterIP;
        if (spec.Type == ServiceTypes.ExternalName)
        {
            if (!string.IsNullOrEmpty(clusterIP))
            {
                errors.Add(new FieldError("spec.clusterIP", FieldErrorType.Forbidden, "may not be set for ExternalName services"));
            }

            return;
        }

        if (!string.IsNullOrEmpty(clusterIP) && clusterIP != "None")
        {
            errors.AddIP("spec.clusterIP", clusterIP);
        }
    }

    /// <summary>
    /// The dual-stack fields. A Service that names only <c>clusterIP</c> (an older client) is checked
    /// as kube-apiserver checks it after syncing <c>clusterIPs</c> from it; a malformed <c>clusterIP</c>
    /// is then reported once, on <c>spec.clusterIP</c>.
    /// </summary>
    private static void ValidateClusterIPsRelatedFields(ServiceSpec spec, List<FieldError> errors)
    {
        if (spec.ClusterIPs is not { Count: > 0 } && !string.IsNullOrEmpty(spec.ClusterIP))
        {
            if (spec.ClusterIP != "None" && !KubeNames.TryParseIP(spec.ClusterIP, out _))
            {
                return;
            }

            spec = spec with { ClusterIPs = [spec.ClusterIP] };
        }

        ClusterIPFieldsValidation.ValidateRelatedFields(spec, errors);
    }

    private static void ValidateExternalIP(string ip, string path, List<FieldError> errors)
    {
        if (!KubeNames.TryParseIP(ip, out var address))
        {
            errors.AddIP(path, ip);
        }
        else if (address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
        {
            // Kubernetes also refuses loopback here; ServiceProxy runs in userspace on one host, where
            // a loopback external IP is a legitimate listen address, so only "unspecified" is refused.
            errors.Add(new FieldError(path, FieldErrorType.Invalid, "may not be unspecified (0.0.0.0)", ip));
        }
    }

    private static void ValidateUniquePorts(IReadOnlyList<ServicePort> ports, List<FieldError> errors)
    {
        var nodePorts = new HashSet<(string?, int)>();
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i].NodePort != 0 && !nodePorts.Add((ports[i].Protocol, ports[i].NodePort)))
            {
                errors.Add(new FieldError(Index("spec.ports", i) + ".nodePort", FieldErrorType.Duplicate, BadValue: ports[i].NodePort));
            }
        }

        var servicePorts = new HashSet<(string?, int)>();
        for (var i = 0; i < ports.Count; i++)
        {
            if (!servicePorts.Add((ports[i].Protocol, ports[i].Port)))
            {
                errors.Add(new FieldError(Index("spec.ports", i), FieldErrorType.Duplicate, BadValue: new GoServicePortKey(ports[i].Protocol, ports[i].Port)));
            }
        }
    }

    private static void ValidateTrafficPolicies(ServiceSpec spec, List<FieldError> errors)
    {
        const string path = "spec.externalTrafficPolicy";
        var external = spec.Type is ServiceTypes.NodePort or ServiceTypes.LoadBalancer;
        var externallyAccessible = external || (spec.Type == ServiceTypes.ClusterIP && spec.ExternalIPs is { Count: > 0 });
        if (!externallyAccessible)
        {
            if (!string.IsNullOrEmpty(spec.ExternalTrafficPolicy))
            {
                errors.Add(new FieldError(path, FieldErrorType.Invalid, "may only be set for externally-accessible services", spec.ExternalTrafficPolicy));
            }
        }
        else if (string.IsNullOrEmpty(spec.ExternalTrafficPolicy))
        {
            if (external)
            {
                errors.Add(new FieldError(path, FieldErrorType.Required));
            }
        }
        else if (spec.ExternalTrafficPolicy is not ("Cluster" or "Local"))
        {
            errors.AddNotSupported(path, spec.ExternalTrafficPolicy, "Cluster", "Local");
        }

        if (spec.InternalTrafficPolicy is { Length: > 0 } internalPolicy && internalPolicy is not ("Cluster" or "Local"))
        {
            errors.AddNotSupported("spec.internalTrafficPolicy", internalPolicy, "Cluster", "Local");
        }

        // Required when needed is not checked here: the registry allocates it after validation,
        // where kube-apiserver allocates it before; its range and uniqueness are the allocator's.
        if (!ServiceAllocator.NeedsHealthCheck(spec) && spec.HealthCheckNodePort != 0)
        {
            errors.Add(new FieldError("spec.healthCheckNodePort", FieldErrorType.Invalid,
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'", spec.HealthCheckNodePort));
        }
    }

    private static void ValidateUpdate(Service service, Service old, List<FieldError> errors)
    {
        // clusterIP is immutable once allocated (unless the Service becomes ExternalName, which drops it).
        var oldIP = old.Spec.ClusterIP;
        var newIP = service.Spec.ClusterIP;
        if (!string.IsNullOrEmpty(oldIP) && !string.IsNullOrEmpty(newIP) && oldIP != newIP
            && service.Spec.Type != ServiceTypes.ExternalName && old.Spec.Type != ServiceTypes.ExternalName)
        {
            errors.Add(new FieldError("spec.clusterIP", FieldErrorType.Invalid, "field is immutable", newIP));
        }

        ClusterIPFieldsValidation.ValidateUpdate(service.Spec, old.Spec, errors);
    }

    /// <summary>
    /// The (protocol, port) key of a duplicate port, printed the way kube-apiserver prints it
    /// (Go's %#v of a core.ServicePort holding only those two fields).
    /// </summary>
    private sealed record GoServicePortKey(string? Protocol, int Port) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => string.Create(
            CultureInfo.InvariantCulture,
            $"core.ServicePort{{Name:\"\", Protocol:\"{Protocol}\", AppProtocol:(*string)(nil), Port:{Port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}");

        public override string ToString() => ToString(null, null);
    }
}

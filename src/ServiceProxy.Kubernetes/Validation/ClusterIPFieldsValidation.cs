using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;
using static ServiceProxy.Kubernetes.Validation.FieldPath;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// kube-apiserver's checks of <c>clusterIP</c>, <c>clusterIPs</c>, <c>ipFamilies</c> and
/// <c>ipFamilyPolicy</c> that need no cluster configuration (<c>ValidateServiceClusterIPsRelatedFields</c>,
/// <c>validateUpgradeDowngradeClusterIPs</c> and <c>validateUpgradeDowngradeIPFamilies</c>), with its
/// messages. The checks against the configured families are the allocator's (ServiceAllocator.Families.cs).
/// </summary>
internal static class ClusterIPFieldsValidation
{
    private static readonly string[] SupportedFamilies = [IPFamilies.IPv4, IPFamilies.IPv6];

    private static readonly string[] SupportedPolicies =
        [IPFamilyPolicies.PreferDualStack, IPFamilyPolicies.RequireDualStack, IPFamilyPolicies.SingleStack];

    /// <summary><c>IPv4</c> or <c>IPv6</c> for a parsed address (an IPv4-mapped IPv6 address is IPv4, as in Go); null otherwise.</summary>
    public static string? FamilyOf(string? ip) =>
        !IPAddress.TryParse(ip, out var address) ? null
        : address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6 ? IPFamilies.IPv4
        : IPFamilies.IPv6;

    /// <summary>A Service whose only cluster IP is <c>None</c>.</summary>
    public static bool IsHeadless(ServiceSpec spec) => spec.ClusterIPs is ["None"];

    /// <summary><c>ValidateServiceClusterIPsRelatedFields</c>, on a Service whose <c>clusterIPs</c> were synced with <c>clusterIP</c>.</summary>
    public static void ValidateRelatedFields(ServiceSpec spec, List<FieldError> errors)
    {
        if (spec.Type == ServiceTypes.ExternalName)
        {
            return;
        }

        var clusterIPs = spec.ClusterIPs ?? [];
        var families = spec.IpFamilies ?? [];
        if (!string.IsNullOrEmpty(spec.ClusterIP))
        {
            if (clusterIPs.Count == 0)
            {
                errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Required));
            }
            else if (clusterIPs[0] != spec.ClusterIP)
            {
                errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Invalid, "first value must match `clusterIP`", new GoStringSlice(clusterIPs)));
            }
        }
        else if (clusterIPs.Count != 0)
        {
            errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Invalid, "must be empty when `clusterIP` is not specified", new GoStringSlice(clusterIPs)));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < families.Count; i++)
        {
            if (!SupportedFamilies.Contains(families[i]))
            {
                errors.AddNotSupported(Index("spec.ipFamilies", i), families[i], SupportedFamilies);
            }

            if (!seen.Add(families[i]))
            {
                errors.Add(new FieldError(Index("spec.ipFamilies", i), FieldErrorType.Duplicate, BadValue: families[i]));
            }
        }

        if (spec.IpFamilyPolicy is { } policy && !SupportedPolicies.Contains(policy))
        {
            errors.AddNotSupported("spec.ipFamilyPolicy", policy, SupportedPolicies);
        }

        var hasInvalidIPs = false;
        for (var i = 0; i < clusterIPs.Count; i++)
        {
            if (i == 0 && clusterIPs[i] == "None")
            {
                if (clusterIPs.Count > 1)
                {
                    hasInvalidIPs = true;
                    errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Invalid, "'None' must be the first and only value", new GoStringSlice(clusterIPs)));
                }

                continue;
            }

            if (!KubeNames.TryParseIP(clusterIPs[i], out _))
            {
                hasInvalidIPs = true;
                errors.Add(new FieldError(Index("spec.clusterIPs", i), FieldErrorType.Invalid, KubeNames.IPAddressMessage, clusterIPs[i]));
            }
        }

        if (clusterIPs.Count > 2)
        {
            errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Invalid, "may only hold up to 2 values", new GoStringSlice(clusterIPs)));
        }

        // A malformed or misplaced value would skew the checks below.
        if (hasInvalidIPs)
        {
            return;
        }

        // More than one IP must include both families (k8s.io/utils/net's IsDualStackIPStrings).
        if (clusterIPs.Count > 1 && clusterIPs.Select(FamilyOf).Distinct().Count() < 2)
        {
            errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Invalid, "may specify no more than one IP for each IP family", new GoStringSlice(clusterIPs)));
        }

        if (!IsHeadless(spec) && clusterIPs.Count > 0 && families.Count > 0)
        {
            for (var i = 0; i < clusterIPs.Count && i < families.Count; i++)
            {
                var family = FamilyOf(clusterIPs[i]);
                if (families[i] is IPFamilies.IPv4 or IPFamilies.IPv6 && family != families[i])
                {
                    errors.Add(new FieldError(
                        Index("spec.clusterIPs", i),
                        FieldErrorType.Invalid,
                        string.Create(CultureInfo.InvariantCulture, $"expected an {families[i]} value as indicated by `ipFamilies[{i}]`"),
                        clusterIPs[i]));
                }
            }
        }
    }

    /// <summary>
    /// What an update may do to the cluster IPs and families: add a secondary, release it (with
    /// <c>SingleStack</c>), never change the primary (<c>validateUpgradeDowngradeClusterIPs</c>,
    /// <c>validateUpgradeDowngradeIPFamilies</c>). ExternalName Services on either side are exempt.
    /// </summary>
    public static void ValidateUpdate(ServiceSpec spec, ServiceSpec old, List<FieldError> errors)
    {
        if (spec.Type == ServiceTypes.ExternalName || old.Type == ServiceTypes.ExternalName)
        {
            return;
        }

        ValidateClusterIPsUpdate(spec, old, errors);
        ValidateFamiliesUpdate(spec, old, errors);
    }

    private static void ValidateClusterIPsUpdate(ServiceSpec spec, ServiceSpec old, List<FieldError> errors)
    {
        if (IsHeadless(old) && IsHeadless(spec))
        {
            return;
        }

        var now = spec.ClusterIPs ?? [];
        var before = old.ClusterIPs ?? [];
        var value = new GoStringSlice(now);
        if (before.Count == now.Count)
        {
            for (var i = 0; i < before.Count; i++)
            {
                if (before[i] != now[i])
                {
                    errors.Add(new FieldError(Index("spec.clusterIPs", i), FieldErrorType.Invalid, "may not change once set", value));
                }
            }
        }
        else if (before.Count > now.Count)
        {
            if (now.Count == 0)
            {
                errors.Add(new FieldError("spec.clusterIPs[0]", FieldErrorType.Invalid, "primary clusterIP can not be unset", value));
            }

            if (before.Count > 0 && now.Count > 0 && now[0] != before[0])
            {
                errors.Add(new FieldError("spec.clusterIPs[0]", FieldErrorType.Invalid, "may not change once set", value));
            }

            if (now.Count == 1 && spec.IpFamilyPolicy != IPFamilyPolicies.SingleStack)
            {
                errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "must be set to 'SingleStack' when releasing the secondary clusterIP", spec.IpFamilyPolicy));
            }
        }
        else if (before.Count > 0 && now[0] != before[0])
        {
            errors.Add(new FieldError("spec.clusterIPs[0]", FieldErrorType.Invalid, "may not change once set", value));
        }
    }

    private static void ValidateFamiliesUpdate(ServiceSpec spec, ServiceSpec old, List<FieldError> errors)
    {
        // Headless Services may change families, and so may a Service becoming or ceasing to be one.
        if (IsHeadless(spec) || IsHeadless(old))
        {
            return;
        }

        var now = spec.IpFamilies ?? [];
        var before = old.IpFamilies ?? [];
        if (before.Count == now.Count)
        {
            for (var i = 0; i < before.Count; i++)
            {
                if (before[i] != now[i])
                {
                    // kube-apiserver names index 0 whichever family changed.
                    errors.Add(new FieldError("spec.ipFamilies[0]", FieldErrorType.Invalid, "may not change once set", new GoStringSlice(now)));
                }
            }
        }
        else if (before.Count > now.Count)
        {
            if (spec.ClusterIPs is not { Count: > 0 })
            {
                errors.Add(new FieldError("spec.ipFamilies[0]", FieldErrorType.Invalid, "primary ipFamily can not be unset", new GoStringSlice(now)));
            }

            if (now.Count > 0 && now[0] != before[0])
            {
                errors.Add(new FieldError("spec.ipFamilies[0]", FieldErrorType.Invalid, "may not change once set", new GoStringSlice(spec.ClusterIPs ?? [])));
            }

            if (now.Count == 1 && spec.IpFamilyPolicy != IPFamilyPolicies.SingleStack)
            {
                errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "must be set to 'SingleStack' when releasing the secondary ipFamily", spec.IpFamilyPolicy));
            }
        }
        else if (before.Count > 0 && now.Count > 0 && now[0] != before[0])
        {
            errors.Add(new FieldError("spec.ipFamilies[0]", FieldErrorType.Invalid, "may not change once set", new GoStringSlice(spec.ClusterIPs ?? [])));
        }
    }
}

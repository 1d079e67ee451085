using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// IP families, as kube-apiserver's service storage handles them (<c>NormalizeClusterIPs</c>,
/// <c>initIPFamilyFields</c>, <c>allocClusterIPs</c>, <c>updateClusterIPs</c>): <c>clusterIPs</c> synced
/// with <c>clusterIP</c>, <c>ipFamilyPolicy</c> defaulted (SingleStack; the old policy on update;
/// RequireDualStack for a headless Service without selector), <c>ipFamilies</c> inferred from the
/// requested IPs and checked against the configured ranges, then completed with the primary range's
/// family and, for PreferDualStack and RequireDualStack on a dual-stack cluster, the other one.
/// Each family's cluster IP comes from that family's allocator.
/// </summary>
internal sealed partial class ServiceAllocator
{
    /// <summary>
    /// Before validation: on update, carries over what the client left unset (<see cref="CarryOver"/>);
    /// then syncs <c>clusterIPs</c> with <c>clusterIP</c> and defaults and checks the family fields
    /// against the configured ranges. Errors are kube-apiserver's 422 causes.
    /// </summary>
    public (Service Service, IReadOnlyList<FieldError> Errors) Prepare(Service service, Service? old)
    {
        if (old is not null)
        {
            service = CarryOver(service, old);
        }

        var errors = new List<FieldError>();
        var spec = InitIPFamilyFields(NormalizeClusterIPs(service.Spec, old?.Spec), old?.Spec, errors);
        return (ReferenceEquals(spec, service.Spec) ? service : service with { Spec = spec }, errors);
    }

    /// <summary>The allocator of <paramref name="address"/>'s family, or null when that family has no range.</summary>
    private ClusterIPAllocator? AllocatorFor(IPAddress address)
    {
        var family = address.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : address.AddressFamily;
        return _clusterIPs.FirstOrDefault(a => a.Cidr.Family == family);
    }

    private ClusterIPAllocator? AllocatorFor(string family) => _clusterIPs.FirstOrDefault(a => a.Cidr.FamilyName == family);

    /// <summary>
    /// <c>NormalizeClusterIPs</c>: an older client names <c>clusterIP</c> alone; on update, one that
    /// sends the old <c>clusterIP</c> without <c>clusterIPs</c> keeps them, and one that clears it clears both.
    /// </summary>
    private static ServiceSpec NormalizeClusterIPs(ServiceSpec spec, ServiceSpec? old)
    {
        var clusterIPs = spec.ClusterIPs;
        if (old is null)
        {
            return !string.IsNullOrEmpty(spec.ClusterIP) && clusterIPs is not { Count: > 0 } ? spec with { ClusterIPs = [spec.ClusterIP] } : spec;
        }

        if (old.ClusterIPs is { Count: > 0 } && clusterIPs is not { Count: > 0 } && old.ClusterIP == spec.ClusterIP)
        {
            clusterIPs = old.ClusterIPs;
        }

        if (old.ClusterIP != spec.ClusterIP)
        {
            if (!string.IsNullOrEmpty(old.ClusterIP) && string.IsNullOrEmpty(spec.ClusterIP)
                && (Same(old.ClusterIPs, clusterIPs) || clusterIPs is not { Count: > 0 }))
            {
                clusterIPs = null;
            }

            if (!string.IsNullOrEmpty(spec.ClusterIP) && clusterIPs is { Count: > 0 } && Same(old.ClusterIPs, clusterIPs))
            {
                clusterIPs = [spec.ClusterIP, .. clusterIPs.Skip(1)];
            }
        }

        return ReferenceEquals(clusterIPs, spec.ClusterIPs) ? spec : spec with { ClusterIPs = clusterIPs };
    }

    /// <summary><c>initIPFamilyFields</c>: the defaulted family fields, or errors.</summary>
    private ServiceSpec InitIPFamilyFields(ServiceSpec spec, ServiceSpec? old, List<FieldError> errors)
    {
        if (spec.Type == ServiceTypes.ExternalName || IsMatchingPreferDualStack(spec, old))
        {
            return spec;
        }

        var headlessSelectorless = spec.ClusterIP == "None" && spec.Selector is not { Count: > 0 };
        var policy = spec.IpFamilyPolicy
            ?? old?.IpFamilyPolicy
            ?? (headlessSelectorless ? IPFamilyPolicies.RequireDualStack : IPFamilyPolicies.SingleStack);
        spec = spec with { IpFamilyPolicy = policy };

        ClusterIPFieldsValidation.ValidateRelatedFields(spec, errors);
        if (errors.Count > 0)
        {
            return spec;
        }

        var clusterIPs = spec.ClusterIPs ?? [];
        var families = (spec.IpFamilies ?? []).ToList();
        if (old is not null)
        {
            if (policy == IPFamilyPolicies.SingleStack)
            {
                // Setting SingleStack with the fields unchanged is a clear wish to drop the secondary.
                if (Same(old.ClusterIPs, clusterIPs) && clusterIPs.Count > 1)
                {
                    clusterIPs = [clusterIPs[0]];
                }

                if (Same(old.IpFamilies, families) && families.Count > 1)
                {
                    families = [families[0]];
                }
            }
            else
            {
                if (clusterIPs.Count > 0 && clusterIPs.Count < (old.ClusterIPs?.Count ?? 0))
                {
                    errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "must be 'SingleStack' to release the secondary cluster IP", policy));
                }

                if (families.Count > 0 && families.Count < (old.IpFamilies?.Count ?? 0))
                {
                    errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "must be 'SingleStack' to release the secondary IP family", policy));
                }
            }
        }

        if (policy == IPFamilyPolicies.SingleStack)
        {
            if (clusterIPs.Count == 2)
            {
                errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified", policy));
            }

            if (families.Count == 2)
            {
                errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified", policy));
            }
        }

        for (var i = 0; i < clusterIPs.Count && clusterIPs[i] != "None"; i++)
        {
            if (i >= families.Count)
            {
                var family = ClusterIPFieldsValidation.FamilyOf(clusterIPs[i])!;
                if (AllocatorFor(family) is null)
                {
                    errors.Add(new FieldError($"spec.clusterIPs[{i}]", FieldErrorType.Invalid, $"{family} is not configured on this cluster", new GoStringSlice(clusterIPs)));
                }
                else
                {
                    families.Add(family);
                }
            }
        }

        if (errors.Count > 0)
        {
            return spec;
        }

        if (headlessSelectorless)
        {
            // Headless without selector: any family, even one this cluster has no range for.
            if (families.Count == 0)
            {
                families.Add(Cidr.FamilyName);
            }

            if (families.Count < 2 && policy != IPFamilyPolicies.SingleStack)
            {
                families.Add(Other(families[0]));
            }

            return spec with { ClusterIPs = clusterIPs, IpFamilies = families };
        }

        if (policy == IPFamilyPolicies.RequireDualStack && _clusterIPs.Length < 2)
        {
            errors.Add(new FieldError("spec.ipFamilyPolicy", FieldErrorType.Invalid, "this cluster is not configured for dual-stack services", policy));
        }

        for (var i = 0; i < families.Count; i++)
        {
            if (AllocatorFor(families[i]) is null)
            {
                errors.Add(new FieldError($"spec.ipFamilies[{i}]", FieldErrorType.Invalid, "not configured on this cluster", families[i]));
            }
        }

        if (errors.Count > 0)
        {
            return spec;
        }

        if (families.Count == 0)
        {
            families.Add(Cidr.FamilyName);
        }

        if (policy != IPFamilyPolicies.SingleStack && families.Count == 1 && _clusterIPs.Length == 2)
        {
            families.Add(Other(families[0]));
        }

        return spec with { ClusterIPs = clusterIPs.Count == 0 ? spec.ClusterIPs : clusterIPs, IpFamilies = families };
    }

    /// <summary>
    /// One cluster IP per family of <c>ipFamilies</c>, in its order: the requested one (kept when
    /// <paramref name="old"/> holds it, else allocated in its family's range) or a random free one;
    /// the IPs <paramref name="old"/> held and the new spec drops are freed when the write commits.
    /// </summary>
    private ServiceSpec AllocateClusterIPs(ServiceSpec spec, Service? old, AllocationTransaction transaction, List<FieldError> errors)
    {
        var held = old is null ? [] : HeldClusterIPs(old).ToHashSet();
        var kept = new HashSet<IPAddress>();
        string[]? allocated = null;
        if (spec.Type != ServiceTypes.ExternalName && !ClusterIPFieldsValidation.IsHeadless(spec) && spec.ClusterIP != "None")
        {
            var requested = spec.ClusterIPs ?? (string.IsNullOrEmpty(spec.ClusterIP) ? [] : [spec.ClusterIP]);
            var families = spec.IpFamilies is { Count: > 0 } named ? named
                : requested.Count > 0 && ClusterIPFieldsValidation.FamilyOf(requested[0]) is { } first ? [first]
                : [Cidr.FamilyName];
            allocated = new string[families.Count];
            for (var i = 0; i < families.Count && errors.Count == 0; i++)
            {
                var address = AllocateClusterIP(families[i], i < requested.Count ? requested[i] : null, held, transaction, errors, requested);
                if (address is not null)
                {
                    kept.Add(address);
                    allocated[i] = address.ToString();
                }
            }
        }

        foreach (var address in held)
        {
            if (!kept.Contains(address))
            {
                transaction.ReleaseOnCommit(() => AllocatorFor(address)?.Release(address));
            }
        }

        if (allocated is null || errors.Count > 0)
        {
            return spec;
        }

        return spec with
        {
            ClusterIP = allocated[0],
            ClusterIPs = allocated,
            IpFamilies = spec.IpFamilies ?? [ClusterIPFieldsValidation.FamilyOf(allocated[0])!],
            IpFamilyPolicy = spec.IpFamilyPolicy ?? IPFamilyPolicies.SingleStack,
        };
    }

    private IPAddress? AllocateClusterIP(
        string family, string? requested, HashSet<IPAddress> held, AllocationTransaction transaction, List<FieldError> errors, IReadOnlyList<string> badValue)
    {
        if (AllocatorFor(family) is not { } allocator)
        {
            // A range removed from the configuration: the Service keeps what it holds (kube-apiserver does too).
            return IPAddress.TryParse(requested, out var kept) ? kept : null;
        }

        if (string.IsNullOrEmpty(requested))
        {
            var next = allocator.AllocateNext();
            if (next is null)
            {
                errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Forbidden, "failed to allocate a serviceIP: range is full"));
                return null;
            }

            transaction.Allocated(() => allocator.Release(next));
            return next;
        }

        if (!IPAddress.TryParse(requested, out var address))
        {
            errors.Add(new FieldError("spec.clusterIPs[0]", FieldErrorType.Invalid, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", requested));
            return null;
        }

        if (held.Contains(address))
        {
            return address;
        }

        var result = allocator.Allocate(address);
        if (result != AllocateResult.Allocated)
        {
            var reason = result == AllocateResult.NotInRange
                ? $"the provided IP ({address}) is not in the valid range. The range of valid IPs is {allocator.Cidr}"
                : "provided IP is already allocated";
            errors.Add(new FieldError("spec.clusterIPs", FieldErrorType.Invalid, $"failed to allocate IP {address}: {reason}", new GoStringSlice(badValue)));
            return null;
        }

        transaction.Allocated(() => allocator.Release(address));
        return address;
    }

    /// <summary>The cluster IPs <paramref name="service"/> holds in the allocators: none for ExternalName and headless Services.</summary>
    private static IEnumerable<IPAddress> HeldClusterIPs(Service service)
    {
        if (!NeedsClusterIP(service))
        {
            yield break;
        }

        var values = service.Spec.ClusterIPs is { Count: > 0 } ips ? ips : [service.Spec.ClusterIP ?? string.Empty];
        foreach (var value in values)
        {
            if (IPAddress.TryParse(value, out var address))
            {
                yield return address;
            }
        }
    }

    /// <summary><c>isMatchingPreferDualStackClusterIPFields</c>: a PreferDualStack Service left as it was is not upgraded or downgraded.</summary>
    private static bool IsMatchingPreferDualStack(ServiceSpec spec, ServiceSpec? old) =>
        old is not null
        && spec.IpFamilyPolicy is not null
        && old.Type == spec.Type
        && spec.Type is ServiceTypes.ClusterIP or ServiceTypes.NodePort or ServiceTypes.LoadBalancer
        && spec.IpFamilyPolicy == IPFamilyPolicies.PreferDualStack
        && (old.IpFamilyPolicy is null || old.IpFamilyPolicy == IPFamilyPolicies.PreferDualStack)
        && Same(old.ClusterIPs, spec.ClusterIPs)
        && Same(old.IpFamilies, spec.IpFamilies);

    private static bool Same(IReadOnlyList<string>? a, IReadOnlyList<string>? b) => (a ?? []).SequenceEqual(b ?? [], StringComparer.Ordinal);

    private static string Other(string family) => family == IPFamilies.IPv4 ? IPFamilies.IPv6 : IPFamilies.IPv4;
}

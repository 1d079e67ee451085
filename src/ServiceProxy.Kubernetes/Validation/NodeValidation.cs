using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ServiceProxy.Kubernetes.Model;
using static ServiceProxy.Kubernetes.Validation.FieldPath;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// <c>ValidateNode</c> for the fields svcproxy keeps: the name (a DNS subdomain), no namespace,
/// taints, pod CIDRs (valid, at most one per IP family, no duplicates) and, as
/// <c>ValidateNodeUpdate</c> checks them, no duplicate addresses. Status is otherwise free, as in
/// Kubernetes: every status field is optional.
/// </summary>
internal static class NodeValidation
{
    public const string CidrMessage = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

    private static readonly string[] TaintEffects = ["NoExecute", "NoSchedule", "PreferNoSchedule"];

    public static void Validate(Node node, List<FieldError> errors)
    {
        MetadataValidation.Validate(node.Metadata with { Namespace = null }, KubeNames.IsDns1123Subdomain, errors);
        if (!string.IsNullOrEmpty(node.Metadata.Namespace))
        {
            errors.Add(new FieldError("metadata.namespace", FieldErrorType.Forbidden, "not allowed on this type"));
        }

        ValidateTaints(node.Spec?.Taints, errors);
        ValidatePodCidrs(node.Spec?.PodCIDRs, errors);

        var addresses = node.Status?.Addresses ?? [];
        var seen = new HashSet<(string?, string?)>();
        for (var i = 0; i < addresses.Count; i++)
        {
            if (!seen.Add((addresses[i].Type, addresses[i].Address)))
            {
                errors.Add(new FieldError(Index("status.addresses", i), FieldErrorType.Duplicate, BadValue: new GoStruct(addresses[i])));
            }
        }
    }

    private static void ValidateTaints(IReadOnlyList<Taint>? taints, List<FieldError> errors)
    {
        var seen = new HashSet<(string?, string?)>();
        for (var i = 0; i < (taints?.Count ?? 0); i++)
        {
            var taint = taints![i];
            var path = Index("metadata.taints", i);
            errors.AddInvalid(path + ".key", taint.Key ?? string.Empty, KubeNames.IsQualifiedName(taint.Key ?? string.Empty));
            errors.AddInvalid(path + ".value", taint.Value ?? string.Empty, KubeNames.IsValidLabelValue(taint.Value ?? string.Empty));
            if (string.IsNullOrEmpty(taint.Effect))
            {
                errors.Add(new FieldError(path + ".effect", FieldErrorType.Required));
            }
            else if (!TaintEffects.Contains(taint.Effect))
            {
                errors.AddNotSupported(path + ".effect", taint.Effect, TaintEffects);
            }

            if (!seen.Add((taint.Key, taint.Effect)))
            {
                errors.Add(new FieldError(path, FieldErrorType.Duplicate, "taints must be unique by key and effect pair", new GoStruct(taint)));
            }
        }
    }

    private static void ValidatePodCidrs(IReadOnlyList<string>? cidrs, List<FieldError> errors)
    {
        if (cidrs is not { Count: > 0 })
        {
            return;
        }

        var families = new List<AddressFamily>();
        for (var i = 0; i < cidrs.Count; i++)
        {
            if (TryParseCidr(cidrs[i], out var family))
            {
                families.Add(family);
            }
            else
            {
                errors.Add(new FieldError(Index("spec.podCIDRs", i), FieldErrorType.Invalid, CidrMessage, cidrs[i]));
            }
        }

        if (cidrs.Count > 1)
        {
            var dualStack = families.Count == 2 && families[0] != families[1];
            if (!dualStack || cidrs.Count > 2)
            {
                errors.Add(new FieldError("spec.podCIDRs", FieldErrorType.Invalid, "may specify no more than one CIDR for each IP family", new GoStrings(cidrs)));
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < cidrs.Count; i++)
            {
                if (!seen.Add(cidrs[i]))
                {
                    errors.Add(new FieldError(Index("spec.podCIDRs", i), FieldErrorType.Duplicate, BadValue: cidrs[i]));
                }
            }
        }
    }

    /// <summary>Go's <c>net.ParseCIDR</c>: an address, a slash and a prefix length within its family's bits.</summary>
    public static bool TryParseCidr(string? text, out AddressFamily family)
    {
        family = AddressFamily.Unknown;
        var slash = text?.IndexOf('/') ?? -1;
        if (slash <= 0
            || !KubeNames.TryParseIP(text![..slash], out var address)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
            || bits > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            return false;
        }

        family = address.AddressFamily;
        return true;
    }

    /// <summary>A struct as Go's <c>%#v</c> prints it in a field error (<c>core.NodeAddress{Type:"InternalIP", Address:"10.0.0.1"}</c>).</summary>
    private sealed record GoStruct(object Value) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => Value switch
        {
            NodeAddress a => $"core.NodeAddress{{Type:{Quote(a.Type)}, Address:{Quote(a.Address)}}}",
            Taint t => $"core.Taint{{Key:{Quote(t.Key)}, Value:{Quote(t.Value)}, Effect:{Quote(t.Effect)}, TimeAdded:(*v1.Time)(nil)}}",
            _ => Value.ToString() ?? string.Empty,
        };

        private static string Quote(string? s) => System.Text.Json.JsonSerializer.Serialize(s ?? string.Empty);
    }

    /// <summary>A string slice as Go's <c>%#v</c> prints it (<c>[]string{"10.0.0.0/24", "10.1.0.0/24"}</c>).</summary>
    private sealed record GoStrings(IReadOnlyList<string> Values) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) =>
            "[]string{" + string.Join(", ", Values.Select(v => System.Text.Json.JsonSerializer.Serialize(v))) + "}";
    }
}

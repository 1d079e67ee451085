using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// <c>ValidateLease</c> (pkg/apis/coordination/validation): the name is a DNS subdomain, the
/// duration positive, the transition count not negative, and a preferred holder needs a strategy.
/// </summary>
internal static class LeaseValidation
{
    private static readonly string[] Strategies = ["OldestEmulationVersion"];

    public static void Validate(Lease lease, List<FieldError> errors)
    {
        MetadataValidation.Validate(lease.Metadata, KubeNames.IsDns1123Subdomain, errors);
        if (lease.Spec is not { } spec)
        {
            return;
        }

        if (spec.LeaseDurationSeconds is <= 0)
        {
            errors.Add(new FieldError("spec.leaseDurationSeconds", FieldErrorType.Invalid, "must be greater than 0", spec.LeaseDurationSeconds.Value));
        }

        if (spec.LeaseTransitions is < 0)
        {
            errors.Add(new FieldError("spec.leaseTransitions", FieldErrorType.Invalid, "must be greater than or equal to 0", spec.LeaseTransitions.Value));
        }

        if (spec.Strategy is { } strategy && !Strategies.Contains(strategy))
        {
            errors.AddNotSupported("spec.strategy", strategy, Strategies);
        }

        if (!string.IsNullOrEmpty(spec.PreferredHolder) && string.IsNullOrEmpty(spec.Strategy))
        {
            errors.Add(new FieldError("spec.preferredHolder", FieldErrorType.Forbidden, "may only be specified if `strategy` is defined"));
        }
    }
}

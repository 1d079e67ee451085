using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Kubernetes.Validation.FieldPath;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// kube-apiserver's checks of a Service's load-balancer fields (<c>loadBalancerIP</c>, the status's
/// ingress, <c>loadBalancerClass</c> and <c>loadBalancerSourceRanges</c>), with its messages.
/// </summary>
internal static class LoadBalancerFieldsValidation
{
    public static void ValidateFields(ServiceSpec spec, ServiceStatus? status, List<FieldError> errors)
    {
        if (!string.IsNullOrEmpty(spec.LoadBalancerIP))
        {
            errors.AddIP("spec.loadBalancerIP", spec.LoadBalancerIP);
        }

        var ingress = status?.LoadBalancer?.Ingress ?? [];
        for (var i = 0; i < ingress.Count; i++)
        {
            var path = Index("status.loadBalancer.ingress", i);
            if (!string.IsNullOrEmpty(ingress[i].Ip))
            {
                errors.AddIP(path + ".ip", ingress[i].Ip);
            }

            if (!string.IsNullOrEmpty(ingress[i].Hostname))
            {
                errors.AddInvalid(path + ".hostname", ingress[i].Hostname, KubeNames.IsDns1123Subdomain(ingress[i].Hostname!));
            }
        }
    }

    /// <summary>kube-apiserver's <c>validateLoadBalancerClassField</c>: a qualified name, LoadBalancer only, fixed once set.</summary>
    public static void ValidateClass(ServiceSpec spec, ServiceSpec? old, List<FieldError> errors)
    {
        const string path = "spec.loadBalancerClass";
        if (old is { Type: ServiceTypes.LoadBalancer } && spec.Type == ServiceTypes.LoadBalancer && old.LoadBalancerClass != spec.LoadBalancerClass)
        {
            errors.Add(new FieldError(path, FieldErrorType.Invalid, "may not change once set", spec.LoadBalancerClass));
        }

        if (spec.LoadBalancerClass is null)
        {
            return;
        }

        if (spec.Type == ServiceTypes.LoadBalancer)
        {
            errors.AddInvalid(path, spec.LoadBalancerClass, KubeNames.IsQualifiedName(spec.LoadBalancerClass));
        }
        else
        {
            errors.Add(new FieldError(path, FieldErrorType.Forbidden, "may only be used when `type` is 'LoadBalancer'"));
        }
    }

    /// <summary>
    /// kube-apiserver's check of <c>spec.loadBalancerSourceRanges</c> (or, when empty, its annotation):
    /// LoadBalancer only, and every value a CIDR. The field path keeps Kubernetes' capital L.
    /// </summary>
    public static void ValidateSourceRanges(Service service, List<FieldError> errors)
    {
        string path;
        string value;
        if (service.Spec.LoadBalancerSourceRanges is { Count: > 0 } ranges)
        {
            path = "spec.LoadBalancerSourceRanges";
            value = "[" + string.Join(' ', ranges) + "]";
        }
        else if (service.Metadata.Annotations?.TryGetValue(SourceRanges.Annotation, out var annotation) == true)
        {
            path = $"metadata.annotations[{SourceRanges.Annotation}]";
            value = annotation ?? string.Empty;
        }
        else
        {
            return;
        }

        if (service.Spec.Type != ServiceTypes.LoadBalancer)
        {
            errors.Add(new FieldError(path, FieldErrorType.Forbidden, "may only be used when `type` is 'LoadBalancer'"));
        }

        if (!SourceRanges.TryGet(service, out _))
        {
            errors.Add(new FieldError(path, FieldErrorType.Invalid, "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 ", value));
        }
    }
}

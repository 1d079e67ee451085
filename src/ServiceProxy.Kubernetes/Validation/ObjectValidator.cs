using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>The Kubernetes-compatible <see cref="IObjectValidator"/> for Service, Endpoints, Pod, Node and Lease.</summary>
public static class ObjectValidator
{
    /// <summary>A stateless, thread-safe validator; share it.</summary>
    public static IObjectValidator Default { get; } = new KubernetesObjectValidator();
}

/// <summary>
/// kube-apiserver's defaulting and static validation (k8s.io/kubernetes pkg/apis/core/validation),
/// with its messages, for the kinds ServiceProxy stores.
/// </summary>
internal sealed class KubernetesObjectValidator : IObjectValidator
{
    public T ApplyDefaults<T>(T obj) where T : KubeObject
    {
        ArgumentNullException.ThrowIfNull(obj);
        KubeObject defaulted = obj switch
        {
            Service service => ObjectDefaults.Apply(service),
            Endpoints endpoints => ObjectDefaults.Apply(endpoints),
            Pod pod => ObjectDefaults.Apply(pod),
            Node node => ObjectDefaults.Apply(node),
            _ => obj,
        };
        return (T)defaulted;
    }

    public IReadOnlyList<FieldError> Validate(KubeObject obj, KubeObject? old = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var errors = new List<FieldError>();
        var apiVersion = Registry.ObjectKinds.ApiVersion(obj.Kind);
        if (obj.ApiVersion != apiVersion)
        {
            errors.AddNotSupported("apiVersion", obj.ApiVersion, apiVersion);
        }

        switch (obj)
        {
            case Service service:
                ServiceValidation.Validate(service, old as Service, errors);
                break;
            case Endpoints endpoints:
                EndpointsValidation.Validate(endpoints, errors);
                break;
            case Pod pod:
                PodValidation.Validate(pod, errors);
                break;
            case Node node:
                NodeValidation.Validate(node, errors);
                break;
            case Lease lease:
                LeaseValidation.Validate(lease, errors);
                break;
            default:
                errors.AddNotSupported("kind", obj.Kind, "Endpoints", "Lease", "Node", "Pod", "Service");
                break;
        }

        return errors;
    }
}

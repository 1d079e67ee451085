using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>The Kubernetes-compatible <see cref="IObjectValidator"/> for Service, Endpoints and Pod.</summary>
public static class ObjectValidator
{
    /// <summary>A stateless, thread-safe validator; share it.</summary>
    public static IObjectValidator Default { get; } = new KubernetesObjectValidator();
}

/// <summary>
/// kube-apiserver's defaulting and static validation (k8s.io/kubernetes pkg/apis/core/validation),
/// with its messages, for the three kinds ServiceProxy stores.
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
            _ => obj,
        };
        return (T)defaulted;
    }

    public IReadOnlyList<FieldError> Validate(KubeObject obj, KubeObject? old = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var errors = new List<FieldError>();
        if (obj.ApiVersion != "v1")
        {
            errors.AddNotSupported("apiVersion", obj.ApiVersion, "v1");
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
            default:
                errors.AddNotSupported("kind", obj.Kind, "Endpoints", "Pod", "Service");
                break;
        }

        return errors;
    }
}

using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// Kubernetes-style defaulting and static validation of one object. Checks that need the
/// store (allocation: clusterIP and nodePort free and in range) are the registry's.
/// </summary>
public interface IObjectValidator
{
    /// <summary>Returns the object with Kubernetes defaults filled in (protocol TCP, targetPort = port, …).</summary>
    T ApplyDefaults<T>(T obj) where T : KubeObject;

    /// <summary>All problems at once; empty when valid. <paramref name="old"/> is set on update.</summary>
    IReadOnlyList<FieldError> Validate(KubeObject obj, KubeObject? old = null);
}

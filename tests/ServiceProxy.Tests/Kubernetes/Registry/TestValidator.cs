using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>A validator double: fills protocol TCP (as the real one does) and returns the errors it is given.</summary>
internal sealed class TestValidator : IObjectValidator
{
    public Func<KubeObject, KubeObject?, IReadOnlyList<FieldError>> Rules { get; set; } = (_, _) => [];

    public int ValidateCalls { get; private set; }

    public T ApplyDefaults<T>(T obj) where T : KubeObject =>
        obj is Service { Spec.Ports: { } ports } service
            ? (T)(KubeObject)(service with { Spec = service.Spec with { Ports = [.. ports.Select(p => p with { Protocol = p.Protocol ?? Protocols.Tcp })] } })
            : obj;

    public IReadOnlyList<FieldError> Validate(KubeObject obj, KubeObject? old = null)
    {
        ValidateCalls++;
        return Rules(obj, old);
    }
}

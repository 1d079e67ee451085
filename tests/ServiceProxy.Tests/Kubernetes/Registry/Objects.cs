using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>Builders for the objects the registry tests write.</summary>
internal static class Objects
{
    public static Service Service(string name, string? type = null, params ServicePort[] ports) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = new ServiceSpec { Type = type ?? ServiceTypes.ClusterIP, Ports = ports.Length > 0 ? ports : [new ServicePort { Port = 80 }] },
    };

    public static ServicePort Port(int port, string? name = null, string? protocol = null, int nodePort = 0, IntOrString? targetPort = null) =>
        new() { Port = port, Name = name, Protocol = protocol, NodePort = nodePort, TargetPort = targetPort };

    public static Pod Pod(string name, string? ip, IReadOnlyDictionary<string, string>? labels = null, bool ready = true, string? ns = null, params PodContainerPort[] ports) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = labels },
        Spec = new PodSpec { Containers = [new Container { Name = "c", Ports = ports }] },
        Status = new PodStatus
        {
            PodIP = ip,
            Conditions = [new PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    public static T In<T>(this T obj, string ns) where T : KubeObject => obj with { Metadata = obj.Metadata with { Namespace = ns } };

    public static T Labeled<T>(this T obj, params string[] labels) where T : KubeObject =>
        obj with { Metadata = obj.Metadata with { Labels = labels.Select(l => l.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]) } };

    public static IObjectStore Store(TestValidator? validator = null, Action<RegistryOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new RegistryOptions();
        configure?.Invoke(options);
        return ObjectStore.CreateInMemory(options, validator ?? new TestValidator(), time);
    }
}

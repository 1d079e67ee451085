using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Benchmarks;

/// <summary>The Pods the probing benchmarks store: each with a tcpSocket readiness probe every second, spread over the given listener ports.</summary>
internal static class ProbedPods
{
    public static async Task CreateAsync(IObjectStore store, int count, IReadOnlyList<int> ports)
    {
        for (var i = 0; i < count; i++)
        {
            await store.CreateAsync(new Pod
            {
                Metadata = new ObjectMeta { Name = $"pod-{i}", Namespace = "bench" },
                Spec = new PodSpec
                {
                    Containers =
                    [
                        new Container
                        {
                            Name = "app",
                            Ports = [new PodContainerPort { Name = "tcp", ContainerPort = ports[i % ports.Count] }],
                            ReadinessProbe = new Probe { TcpSocket = new TcpSocketAction { Port = "tcp" }, PeriodSeconds = 1 },
                        },
                    ],
                },
                Status = new PodStatus { Phase = "Running", PodIP = "127.0.0.1" },
            });
        }
    }
}

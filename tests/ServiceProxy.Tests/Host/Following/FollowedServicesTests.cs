using System.Reflection;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using WatchEventType = k8s.WatchEventType;

namespace ServiceProxy.Tests.Host.Following;

/// <summary>Watch events of followed Services going into the mirror: the object bound, and a cost that does not grow with the objects followed.</summary>
public sealed class FollowedServicesTests : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddServiceProxyRegistry().BuildServiceProvider();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private static V1Service Service(string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", ResourceVersion = "1" },
        Spec = new V1ServiceSpec { ClusterIP = "None", Ports = [new V1ServicePort { Port = 80, Protocol = "TCP" }] },
    };

    [Fact]
    public void An_event_neither_lists_the_store_nor_lets_the_followed_objects_pass_the_bound()
    {
        var store = _services.GetRequiredService<IObjectStore>();
        var counting = CountingStore.Wrap(store);
        IFollowedResource services = new FollowedServices(null!, _services.GetRequiredService<IObjectMirror>(), counting);

        Assert.True(services.Apply(WatchEventType.Added, Service("a"), maxObjects: 2));
        Assert.True(services.Apply(WatchEventType.Added, Service("b"), maxObjects: 2));
        Assert.False(services.Apply(WatchEventType.Added, Service("c"), maxObjects: 2));
        Assert.True(services.Apply(WatchEventType.Modified, Service("b"), maxObjects: 2));
        Assert.True(services.Apply(WatchEventType.Deleted, Service("a"), maxObjects: 2));
        Assert.True(services.Apply(WatchEventType.Added, Service("c"), maxObjects: 2));

        Assert.Equal(["b", "c"], store.List<Service>().Items.Select(s => s.Metadata.Name));
        // Listing 10 000 Services for each event made a follower's work per write grow with the cluster.
        Assert.Equal(0, ((CountingStore)(object)counting).Lists);
    }

    /// <summary>An <see cref="IObjectStore"/> that counts <see cref="IObjectStore.List{T}"/> calls and forwards everything.</summary>
    public class CountingStore : DispatchProxy
    {
        private IObjectStore _target = null!;

        public int Lists { get; private set; }

        public static IObjectStore Wrap(IObjectStore target)
        {
            var proxy = Create<IObjectStore, CountingStore>();
            ((CountingStore)(object)proxy)._target = target;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IObjectStore.List))
            {
                Lists++;
            }

            return targetMethod.Invoke(_target, args);
        }
    }
}

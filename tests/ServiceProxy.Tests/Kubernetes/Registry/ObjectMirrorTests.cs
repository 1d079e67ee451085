using Microsoft.Extensions.DependencyInjection;
using ServiceProxy.Kubernetes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class ObjectMirrorTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddServiceProxyRegistry().BuildServiceProvider();

    [Fact]
    public void Followed_objects_are_stored_as_sent_at_the_next_version_and_an_unchanged_one_is_no_write()
    {
        var store = _services.GetRequiredService<IObjectStore>();
        var mirror = _services.GetRequiredService<IObjectMirror>();
        var before = store.ResourceVersion;
        // A cluster IP outside this store's service CIDR: it was allocated where the Service was made.
        var service = new Service
        {
            Metadata = new ObjectMeta { Name = "web", Namespace = "shop", ResourceVersion = "123456" },
            Spec = new ServiceSpec { ClusterIP = "10.96.7.7", Ports = [new ServicePort { Port = 80, Protocol = "TCP" }] },
        };

        Assert.True(mirror.Put(service));
        var stored = store.Get<Service>("shop", "web")!;
        Assert.Equal("10.96.7.7", stored.Spec.ClusterIP);
        Assert.Equal((before + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), stored.Metadata.ResourceVersion);

        // The same object again (a relist), whatever its remote version: nothing changes.
        Assert.False(mirror.Put(service with { Metadata = service.Metadata with { ResourceVersion = "999999" } }));
        Assert.Equal(before + 1, store.ResourceVersion);

        Assert.True(store.TryGetEventsSince(before, out var events));
        Assert.Equal([WatchEventType.Added], events.Select(e => e.Type));

        Assert.True(mirror.Remove("Service", "shop", "web"));
        Assert.False(mirror.Remove("Service", "shop", "web"));
        Assert.Null(store.Get<Service>("shop", "web"));
        Assert.True(store.TryGetEventsSince(before + 1, out events));
        Assert.Equal([WatchEventType.Deleted], events.Select(e => e.Type));
    }

    public void Dispose() => _services.Dispose();
}

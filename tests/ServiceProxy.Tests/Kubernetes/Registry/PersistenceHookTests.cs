using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>The store persists inside its commit: a write the persistence refuses is not visible anywhere and frees what it allocated.</summary>
public sealed class PersistenceHookTests
{
    private readonly RecordingPersistence _persistence = new();
    private readonly IObjectStore _store;

    public PersistenceHookTests()
    {
        var options = new RegistryOptions();
        options.Allocation.NodePortRange = "30000-30001";
        _store = ObjectStore.CreateInMemory(options, new TestValidator(), persistence: _persistence);
    }

    private static Service NodePortService(string name) => Service(name, ServiceTypes.NodePort, Port(80, nodePort: 30000));

    [Fact]
    public async Task A_create_that_cannot_be_persisted_is_a_storage_error_and_changes_nothing()
    {
        var token = _store.GetChangeToken();
        _persistence.Failing = true;

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await _store.CreateAsync(NodePortService("web")));

        Assert.Equal(StoreErrorReason.StorageFailed, error.Reason);
        Assert.Equal("storage error: services \"web\" was not written: No space left on device", error.Message);
        Assert.Null(_store.Get<Service>("default", "web"));
        Assert.Equal(0, _store.ResourceVersion);
        Assert.True(_store.TryGetEventsSince(0, out var events));
        Assert.Empty(events);
        Assert.False(token.HasChanged);

        // The nodePort and clusterIP went back to the pools.
        _persistence.Failing = false;
        var created = await _store.CreateAsync(NodePortService("web"));
        Assert.Equal(30000, created.Spec!.Ports![0].NodePort);
    }

    [Fact]
    public async Task An_update_that_cannot_be_persisted_keeps_the_stored_state()
    {
        var created = await _store.CreateAsync(Service("web"));
        _persistence.Failing = true;

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await _store.UpdateAsync(created.Labeled("app=new")));

        Assert.Equal(StoreErrorReason.StorageFailed, error.Reason);
        Assert.Equal(created, _store.Get<Service>("default", "web"));
        Assert.Equal(1, _store.ResourceVersion);
    }

    [Fact]
    public async Task A_delete_that_cannot_be_persisted_keeps_the_object_and_its_allocations()
    {
        var created = await _store.CreateAsync(NodePortService("web"));
        _persistence.Failing = true;

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await _store.DeleteAsync<Service>("default", "web"));

        Assert.Equal(StoreErrorReason.StorageFailed, error.Reason);
        Assert.Equal(created, _store.Get<Service>("default", "web"));
        Assert.True(_store.TryGetEventsSince(1, out var events));
        Assert.Empty(events);
        _persistence.Failing = false;
        var taken = await Assert.ThrowsAsync<ObjectStoreException>(async () => await _store.CreateAsync(NodePortService("other")));
        Assert.Equal(StoreErrorReason.Invalid, taken.Reason);
    }

    [Fact]
    public async Task Persistence_sees_each_write_with_its_owner_before_and_after_and_never_a_dry_run()
    {
        var created = await _store.CreateAsync(Service("web"));
        await _store.CreateAsync(Service("dry"), new WriteOptions { DryRun = true });
        await _store.UpdateAsync(created, new WriteOptions { Owner = "web.yaml" });
        await _store.DeleteAsync<Service>("default", "web", new WriteOptions { Owner = "web.yaml" });

        Assert.Collection(
            _persistence.Calls,
            c => Assert.Equal(("Service", "default", "web", null, null), (c.Kind, c.Namespace, c.Name, c.Previous?.Owner, c.Next?.Owner)),
            c => Assert.Equal((null, "web.yaml"), (c.Previous?.Owner, c.Next?.Owner)),
            c => Assert.Equal(("web.yaml", true), (c.Previous?.Owner, c.Next is null)));
    }

    private sealed class RecordingPersistence : IObjectPersistence
    {
        public bool Failing { get; set; }

        public List<(string Kind, string Namespace, string Name, StoredObject? Previous, StoredObject? Next)> Calls { get; } = [];

        public long ResourceVersionFloor { get; init; }

        public void Persist(string kind, (string Namespace, string Name) key, StoredObject? previous, StoredObject? next, long resourceVersion)
        {
            if (Failing)
            {
                throw new IOException("No space left on device");
            }

            Calls.Add((kind, key.Namespace, key.Name, previous, next));
        }
    }
}

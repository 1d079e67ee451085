using Microsoft.Extensions.Time.Testing;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

public sealed class InMemoryObjectStoreTests
{
    [Fact]
    public async Task Create_sets_uid_timestamp_version_generation_and_namespace()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        var store = Store(time: time);

        var created = await store.CreateAsync(Service("web"));

        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), created.Metadata.CreationTimestamp);
        Assert.Equal("1", created.Metadata.ResourceVersion);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal("default", created.Metadata.Namespace);
        Assert.Equal(created, store.Get<Service>("default", "web"));
        Assert.Equal(created, store.Get<Service>("", "web"));
        Assert.Equal(1, store.ResourceVersion);
    }

    [Fact]
    public async Task Create_of_an_existing_key_is_already_exists()
    {
        var store = Store();
        await store.CreateAsync(Service("web"));

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("web")));

        Assert.Equal(StoreErrorReason.AlreadyExists, error.Reason);
        Assert.Equal("services \"web\" already exists", error.Message);
        Assert.Equal("services", error.Kind);
        Assert.Equal(1, store.ResourceVersion);
    }

    [Fact]
    public async Task Same_name_in_another_kind_or_namespace_is_a_different_object()
    {
        var store = Store();

        await store.CreateAsync(Service("web"));
        await store.CreateAsync(Service("web").In("other"));
        await store.CreateAsync(new Endpoints { Metadata = new ObjectMeta { Name = "web" } });

        Assert.Equal(2, store.List<Service>().Items.Count);
        Assert.Single(store.List<Endpoints>().Items);
    }

    [Fact]
    public async Task Invalid_object_is_refused_with_every_cause_and_nothing_is_stored()
    {
        var validator = new TestValidator
        {
            Rules = (_, _) =>
            [
                new FieldError("spec.ports[0].port", FieldErrorType.Required),
                new FieldError("spec.sessionAffinity", FieldErrorType.NotSupported, "supported values: \"ClientIP\", \"None\"", "Sticky"),
            ],
        };
        var store = Store(validator);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Service("web")));

        Assert.Equal(StoreErrorReason.Invalid, error.Reason);
        Assert.Equal("Service", error.Kind);
        Assert.Equal(
            "Service \"web\" is invalid: [spec.ports[0].port: Required value, spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"]",
            error.Message);
        Assert.Equal(2, error.Causes.Count);
        Assert.Null(store.Get<Service>("default", "web"));
        Assert.Equal(0, store.ResourceVersion);
    }

    [Fact]
    public async Task Validator_sees_the_old_object_on_update()
    {
        KubeObject? seenOld = null;
        var validator = new TestValidator { Rules = (_, old) => { seenOld = old; return []; } };
        var store = Store(validator);
        var created = await store.CreateAsync(Service("web"));

        await store.UpdateAsync(created with { Spec = created.Spec with { SessionAffinity = SessionAffinities.ClientIP } });

        Assert.Equal(created, seenOld);
    }

    [Fact]
    public async Task List_is_sorted_by_namespace_then_name_and_carries_the_store_version()
    {
        var store = Store();
        await store.CreateAsync(Service("b"));
        await store.CreateAsync(Service("a").In("a-b"));
        await store.CreateAsync(Service("a"));
        await store.CreateAsync(Service("z").In("a"));

        var all = store.List<Service>();
        var inDefault = store.List<Service>("default");

        Assert.Equal(["a/z", "a-b/a", "default/a", "default/b"], all.Items.Select(s => s.Key));
        Assert.Equal(4, all.ResourceVersion);
        Assert.Equal(["default/a", "default/b"], inDefault.Items.Select(s => s.Key));
        Assert.Equal(4, store.List<Service>(string.Empty).Items.Count);
        Assert.Empty(store.List<Pod>().Items);
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_a_conflict()
    {
        var store = Store();
        var created = await store.CreateAsync(Service("web"));
        await store.UpdateAsync(created with { Spec = created.Spec with { SessionAffinity = SessionAffinities.ClientIP } });

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.UpdateAsync(created with { Spec = created.Spec with { ExternalIPs = ["192.0.2.1"] } }));

        Assert.Equal(StoreErrorReason.Conflict, error.Reason);
        Assert.Equal(
            "Operation cannot be fulfilled on services \"web\": the object has been modified; please apply your changes to the latest version and try again",
            error.Message);
        Assert.Null(store.Get<Service>("default", "web")!.Spec.ExternalIPs);
    }

    [Fact]
    public async Task Update_keeps_uid_and_creation_time_bumps_version_and_generation_on_spec_change()
    {
        var time = new FakeTimeProvider();
        var store = Store(time: time);
        var created = await store.CreateAsync(Service("web"));
        time.Advance(TimeSpan.FromMinutes(5));

        var relabeled = await store.UpdateAsync(created.Labeled("app=web") with { Metadata = created.Metadata with { Uid = null, ResourceVersion = null, Labels = new Dictionary<string, string> { ["app"] = "web" } } });
        var respecced = await store.UpdateAsync(relabeled with { Spec = relabeled.Spec with { SessionAffinity = SessionAffinities.ClientIP } });

        Assert.Equal(created.Metadata.Uid, respecced.Metadata.Uid);
        Assert.Equal(created.Metadata.CreationTimestamp, respecced.Metadata.CreationTimestamp);
        Assert.Equal("2", relabeled.Metadata.ResourceVersion);
        Assert.Equal(1, relabeled.Metadata.Generation);
        Assert.Equal("3", respecced.Metadata.ResourceVersion);
        Assert.Equal(2, respecced.Metadata.Generation);
    }

    [Fact]
    public async Task Update_that_changes_nothing_is_not_a_write()
    {
        var store = Store();
        var created = await store.CreateAsync(Service("web"));

        var same = await store.UpdateAsync(Service("web"));

        Assert.Equal(created, same);
        Assert.Equal(1, store.ResourceVersion);
    }

    [Fact]
    public async Task Update_or_delete_of_a_missing_object_is_not_found()
    {
        var store = Store();

        var update = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.UpdateAsync(Service("nope")));
        var delete = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.DeleteAsync<Service>("default", "nope"));

        Assert.Equal(StoreErrorReason.NotFound, update.Reason);
        Assert.Equal("services \"nope\" not found", delete.Message);
        Assert.Equal(StoreErrorReason.NotFound, delete.Reason);
    }

    [Fact]
    public async Task Delete_returns_the_last_state_at_a_new_version()
    {
        var store = Store();
        var created = await store.CreateAsync(Service("web"));

        var deleted = await store.DeleteAsync<Service>("default", "web");

        Assert.Equal(created.Spec, deleted.Spec);
        Assert.Equal("2", deleted.Metadata.ResourceVersion);
        Assert.Null(store.Get<Service>("default", "web"));
    }

    [Fact]
    public async Task Dry_run_update_and_delete_change_nothing()
    {
        var store = Store();
        var created = await store.CreateAsync(Service("web"));

        var preview = await store.UpdateAsync(created with { Spec = created.Spec with { SessionAffinity = SessionAffinities.ClientIP } }, new WriteOptions { DryRun = true });
        await store.DeleteAsync<Service>("default", "web", new WriteOptions { DryRun = true });

        Assert.Equal(SessionAffinities.ClientIP, preview.Spec.SessionAffinity);
        Assert.Equal(created, store.Get<Service>("default", "web"));
        Assert.Equal(1, store.ResourceVersion);
    }

    [Fact]
    public async Task Generate_name_gets_a_random_suffix()
    {
        var store = Store();

        var created = await store.CreateAsync(new Pod { Metadata = new ObjectMeta { GenerateName = "web-" } });

        Assert.Matches("^web-[a-z0-9]{5}$", created.Metadata.Name);
    }

    [Fact]
    public async Task Owner_is_the_last_writer()
    {
        var store = Store();
        var created = await store.CreateAsync(Service("web"), new WriteOptions { Owner = "/etc/svc/web.yaml" });

        Assert.Equal("/etc/svc/web.yaml", store.GetOwner("Service", "default", "web"));
        await store.UpdateAsync(created, new WriteOptions { Owner = null });
        Assert.Null(store.GetOwner("Service", "default", "web"));
        Assert.Null(store.GetOwner("Service", "default", "missing"));
    }

    [Fact]
    public async Task Resource_version_increases_by_one_per_write_across_kinds()
    {
        var store = Store();
        var versions = new List<long>
        {
            long.Parse((await store.CreateAsync(Service("a"))).Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse((await store.CreateAsync(Pod("p", "10.1.0.1"))).Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse((await store.CreateAsync(new Endpoints { Metadata = new ObjectMeta { Name = "a" } })).Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse((await store.DeleteAsync<Pod>("default", "p")).Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture),
        };

        Assert.Equal([1L, 2L, 3L, 4L], versions);
    }

    [Fact]
    public async Task Concurrent_writers_get_distinct_versions_and_every_write_is_kept()
    {
        var store = Store();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await store.CreateAsync(Pod($"p-{w}-{i}", "10.0.0.1"));
            }
        })));

        Assert.Equal(400, store.List<Pod>().Items.Count);
        Assert.Equal(400, store.List<Pod>().Items.Select(p => p.Metadata.ResourceVersion).Distinct().Count());
        Assert.Equal(400, store.ResourceVersion);
    }

    [Fact]
    public async Task Change_token_fires_after_a_write_and_not_for_a_refused_one()
    {
        var store = Store();
        var token = store.GetChangeToken();

        await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.DeleteAsync<Service>("default", "nope"));
        Assert.False(token.HasChanged);

        var seenVersion = -1L;
        token.RegisterChangeCallback(_ => seenVersion = store.ResourceVersion, null);
        await store.CreateAsync(Service("a"));

        Assert.True(token.HasChanged);
        Assert.Equal(1, seenVersion);
        Assert.False(store.GetChangeToken().HasChanged);
    }

    [Fact]
    public async Task Events_since_a_version_are_kept_up_to_the_history_size()
    {
        var store = Store(configure: o => o.WatchHistorySize = 3);
        for (var i = 0; i < 5; i++)
        {
            await store.CreateAsync(Pod($"p{i}", "10.0.0.1"));
        }

        Assert.True(store.TryGetEventsSince(2, out var events));
        Assert.Equal([3L, 4L, 5L], events.Select(e => e.ResourceVersion));
        Assert.True(store.TryGetEventsSince(5, out var none));
        Assert.Empty(none);
        Assert.False(store.TryGetEventsSince(1, out _));
    }
}

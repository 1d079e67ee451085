using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Host.Hosting;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Host;

/// <summary>resourceVersions keep growing across a restart from <c>--data-dir</c>, as etcd's revision does.</summary>
public sealed class ResourceVersionCeilingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("svcproxy-rv-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static IObjectStore Store(DataDirectory directory) =>
        ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, persistence: directory);

    private static Pod Pod(string name) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = new PodSpec { Containers = [new Container { Name = "app" }] },
    };

    [Fact]
    public async Task Versions_after_a_restart_are_above_every_version_before_and_old_ones_are_too_old()
    {
        long before;
        using (var directory = DataDirectory.Open(_root))
        {
            var store = Store(directory);
            await store.CreateAsync(Pod("a"));
            await store.DeleteAsync<Pod>("default", "a");
            before = long.Parse((await store.CreateAsync(Pod("b"))).Metadata.ResourceVersion!);
        }

        using var reopened = DataDirectory.Open(_root);
        var restarted = Store(reopened);
        Assert.Equal(1, await reopened.RestoreAsync(restarted, NullLogger.Instance));
        var restored = long.Parse(restarted.Get<Pod>("default", "b")!.Metadata.ResourceVersion!);
        var after = long.Parse((await restarted.CreateAsync(Pod("c"))).Metadata.ResourceVersion!);

        Assert.True(restored > before, $"restored at {restored}, issued {before} before the restart");
        Assert.True(after > restored);

        // A watch resuming from the earlier run cannot be served: the client must relist.
        Assert.False(restarted.TryGetEventsSince(before, out _));
        Assert.True(restarted.TryGetEventsSince(restored, out var since));
        Assert.Equal("c", Assert.Single(since).Object.Metadata.Name);
    }

    [Fact]
    public void The_bound_is_written_ahead_and_raised_a_step_at_a_time()
    {
        var ceiling = ResourceVersionCeiling.Open(_root);
        Assert.Equal(0, ceiling.Floor);
        Assert.Equal("10000", Read());

        ceiling.Cover(9_999);
        Assert.Equal("10000", Read());
        ceiling.Cover(10_000);
        Assert.Equal("20000", Read());

        Assert.Equal(20_000, ResourceVersionCeiling.Open(_root).Floor);
        Assert.Equal("30000", Read());
    }

    [Fact]
    public void A_bound_that_is_not_a_number_stops_the_start_with_a_clear_error()
    {
        File.WriteAllText(Path.Combine(_root, "resource-version"), "garbage");

        var error = Assert.Throws<InvalidDataException>(() => DataDirectory.Open(_root).Dispose());
        Assert.Contains("not a resourceVersion", error.Message);
    }

    private string Read() => File.ReadAllText(Path.Combine(_root, "resource-version")).Trim();
}

using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Host.Hosting;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Host;

public sealed class DataDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("svcproxy-datadir-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Pod Pod(string name) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = new PodSpec { Containers = [new Container { Name = "app" }] },
    };

    private static IObjectStore Store(DataDirectory directory) =>
        ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default, persistence: directory);

    private string FileOf(string kind, string plural, string name) =>
        Path.Combine(_root, "objects", plural, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}/default/{name}"))) + ".json");

    [Fact]
    public async Task A_name_of_any_valid_length_is_stored_and_restored()
    {
        var name = new string('p', 250) + ".x";
        using (var directory = DataDirectory.Open(_root))
        {
            await Store(directory).CreateAsync(Pod(name));
        }

        using var reopened = DataDirectory.Open(_root);
        var store = Store(reopened);
        Assert.Equal(1, await reopened.RestoreAsync(store, NullLogger.Instance));
        Assert.NotNull(store.Get<Pod>("default", name));
        Assert.True(File.Exists(FileOf("Pod", "pods", name)));
    }

    [Fact]
    public async Task A_write_that_cannot_be_stored_leaves_no_object_and_no_file()
    {
        using var directory = DataDirectory.Open(_root);
        var store = Store(directory);
        var path = FileOf("Pod", "pods", "blocked");
        Directory.CreateDirectory(path);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Pod("blocked")));

        Assert.Equal(StoreErrorReason.StorageFailed, error.Reason);
        Assert.Null(store.Get<Pod>("default", "blocked"));
        Assert.Equal([path], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task A_delete_or_a_takeover_by_a_manifest_removes_the_file()
    {
        using var directory = DataDirectory.Open(_root);
        var store = Store(directory);
        var created = await store.CreateAsync(Pod("a"));
        await store.CreateAsync(Pod("b"));

        await store.UpdateAsync(created, new WriteOptions { Owner = "/manifests/a.yaml" });
        await store.DeleteAsync<Pod>("default", "b");

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "objects", "pods")));
    }

    [Fact]
    public async Task Files_of_the_earlier_name_based_layout_are_restored_and_migrated()
    {
        var legacy = Path.Combine(_root, "objects", "pods", "default", "old.json");
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        File.WriteAllText(legacy, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"old","namespace":"default"},"spec":{"containers":[{"name":"app"}]}}""");

        using var directory = DataDirectory.Open(_root);
        var store = Store(directory);

        Assert.Equal(1, await directory.RestoreAsync(store, NullLogger.Instance));
        Assert.NotNull(store.Get<Pod>("default", "old"));
        Assert.False(File.Exists(legacy));
        Assert.True(File.Exists(FileOf("Pod", "pods", "old")));
    }

    [Fact]
    public void A_second_open_is_refused_with_the_holders_pid_until_the_first_is_disposed()
    {
        var first = DataDirectory.Open(_root);

        var error = Assert.Throws<DataDirectoryInUseException>(() => DataDirectory.Open(_root));

        Assert.Contains($"is in use by another svcproxy (pid {Environment.ProcessId})", error.Message, StringComparison.Ordinal);
        first.Dispose();
        DataDirectory.Open(_root).Dispose();
    }

    [Fact]
    public void Fsync_of_a_directory_works_and_reports_a_missing_one()
    {
        Libc.FsyncDirectory(_root);

        var error = Assert.Throws<IOException>(() => Libc.FsyncDirectory(Path.Combine(_root, "missing")));
        Assert.Contains("open", error.Message, StringComparison.Ordinal);
    }
}

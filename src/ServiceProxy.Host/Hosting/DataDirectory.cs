using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using ServiceProxy.Host.Admin;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// <c>--data-dir</c>: the store's durable copy of every object written through the API. The store
/// calls <see cref="Persist"/> inside its commit, before the write is visible, so a write answered
/// 2xx is on disk (temp file, fsync, atomic rename, fsync of the directory) and a write that could
/// not be stored leaves no trace. Objects written by manifests or the endpoints controller (an owner
/// is set) are not kept: they belong to their source. One process at a time: <see cref="Open"/>
/// takes an exclusive flock on <c>DIR/lock</c>, which holds the holder's pid.
/// Layout: <c>DIR/objects/{plural}/{sha256(kind/namespace/name)}.json</c>, so any valid name fits
/// within NAME_MAX; files of the earlier <c>{plural}/{namespace}/{name}.json</c> layout are migrated at start.
/// </summary>
internal sealed partial class DataDirectory : IObjectPersistence, IDisposable
{
    private readonly string _root;
    private readonly string _objects;
    private readonly SafeFileHandle _lock;
    private ResourceVersionCeiling _ceiling = null!;
    private bool _restoring;

    private DataDirectory(string root, SafeFileHandle lockHandle)
    {
        _root = root;
        _objects = Path.Combine(root, "objects");
        _lock = lockHandle;
    }

    /// <inheritdoc/>
    public long ResourceVersionFloor => _ceiling.Floor;

    /// <summary>Creates the directory if needed and locks it for this process's lifetime.</summary>
    /// <exception cref="DataDirectoryInUseException">Another process holds it.</exception>
    public static DataDirectory Open(string path)
    {
        var root = Path.GetFullPath(path);
        Directory.CreateDirectory(root);
        var handle = Lock(root);
        try
        {
            var directory = new DataDirectory(root, handle);
            directory.CreateLayout();
            directory._ceiling = ResourceVersionCeiling.Open(root);
            return directory;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Persist(string kind, (string Namespace, string Name) key, StoredObject? previous, StoredObject? next, long resourceVersion)
    {
        // Every write, restored, owned by a manifest or not, takes a version: each stays under the durable bound.
        _ceiling.Cover(resourceVersion);
        if (_restoring)
        {
            return; // The object comes from its file.
        }

        var path = PathOf(kind, key);
        var before = previous is { Owner: null } ? previous.Object : null;
        if (next is { Owner: null })
        {
            Save(path, next.Object, before);
        }
        else
        {
            // A manifest or the controller took the object over, or it was deleted: no file.
            Remove(path, before);
        }
    }

    /// <summary>Recreates every kept object in <paramref name="store"/>; unreadable or refused files are logged and skipped.</summary>
    public async Task<int> RestoreAsync(IObjectStore store, ILogger logger, CancellationToken cancellationToken = default)
    {
        var restored = 0;
        _restoring = true;
        try
        {
            foreach (var resource in KubeResource.All)
            {
                var directory = Path.Combine(_objects, resource.Plural);
                foreach (var temp in Directory.EnumerateFiles(directory, "*.tmp"))
                {
                    TryDelete(temp); // A write that crashed before its rename: never acknowledged.
                }

                // The current layout first: a legacy file whose object is back already is a leftover of an interrupted migration.
                var files = Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal)
                    .Concat(Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories).Where(f => Path.GetDirectoryName(f) != directory).Order(StringComparer.Ordinal))
                    .ToList();
                foreach (var file in files)
                {
                    restored += await RestoreAsync(store, resource, file, logger, cancellationToken) ? 1 : 0;
                }
            }
        }
        finally
        {
            _restoring = false;
        }

        return restored;
    }

    public void Dispose() => _lock.Dispose();

    private static SafeFileHandle Lock(string root)
    {
        var path = Path.Combine(root, "lock");
        if (!Libc.IsSupported)
        {
            try
            {
                return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                throw new DataDirectoryInUseException(root, holder: null);
            }
        }

        var handle = Libc.OpenUnlocked(path);
        try
        {
            if (!Libc.TryLockExclusive(handle, path))
            {
                var buffer = new byte[32];
                var read = RandomAccess.Read(handle, buffer, 0);
                throw new DataDirectoryInUseException(root, Encoding.ASCII.GetString(buffer, 0, read).Trim());
            }

            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"), 0);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void CreateLayout()
    {
        var created = !Directory.Exists(_objects);
        foreach (var resource in KubeResource.All)
        {
            var directory = Path.Combine(_objects, resource.Plural);
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory);
                created = true;
            }
        }

        if (created)
        {
            Libc.FsyncDirectory(_objects);
            Libc.FsyncDirectory(_root);
        }
    }

    private async Task<bool> RestoreAsync(IObjectStore store, KubeResource resource, string file, ILogger logger, CancellationToken cancellationToken)
    {
        var legacy = Path.GetDirectoryName(Path.GetDirectoryName(file)) == _objects ? null : file;
        try
        {
            var obj = (KubeObject?)JsonSerializer.Deserialize(File.ReadAllText(file), resource.ClrType, KubeJson.Options)
                ?? throw new JsonException("empty");
            var created = await resource.CreateAsync(store, obj with { Metadata = obj.Metadata with { ResourceVersion = null } }, new WriteOptions(), cancellationToken);
            if (legacy is not null)
            {
                Save(PathOf(created.Kind, (created.Metadata.NamespaceOrDefault, created.Metadata.Name!)), created, null);
                Remove(legacy, null);
            }

            return true;
        }
        catch (ObjectStoreException e) when (legacy is not null && e.Reason == StoreErrorReason.AlreadyExists)
        {
            Remove(legacy, null); // Migrated before a crash stopped the clean-up.
            return false;
        }
        catch (Exception e) when (e is JsonException or IOException or ObjectStoreException or UnauthorizedAccessException)
        {
            LogRestoreFailed(logger, file, e.Message);
            return false;
        }
    }

    private string PathOf(string kind, (string Namespace, string Name) key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}/{key.Namespace}/{key.Name}"));
        return Path.Combine(_objects, KubeResource.OfKind(kind)?.Plural ?? kind.ToLowerInvariant(), Convert.ToHexStringLower(hash) + ".json");
    }

    private static void Save(string path, KubeObject obj, KubeObject? previous)
    {
        WriteAtomically(path, obj);
        SyncDirectory(path, previous);
    }

    private static void WriteAtomically(string path, KubeObject obj)
    {
        var temp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, obj, obj.GetType(), KubeJson.Options);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void Remove(string path, KubeObject? previous)
    {
        if (!Path.Exists(path))
        {
            return;
        }

        File.Delete(path);
        SyncDirectory(path, previous);
    }

    /// <summary>Makes the rename or unlink durable; when that fails the write is refused, so the file goes back to what it held.</summary>
    private static void SyncDirectory(string path, KubeObject? previous)
    {
        try
        {
            Libc.FsyncDirectory(Path.GetDirectoryName(path)!);
        }
        catch (IOException)
        {
            try
            {
                if (previous is null)
                {
                    TryDelete(path);
                }
                else
                {
                    WriteAtomically(path, previous);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the disk is failing, and the refused write is already answered as a storage error.
            }

            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp file is removed at the next start.
        }
    }

    [LoggerMessage(EventId = 540, Level = LogLevel.Warning, Message = "persisted object {File} not restored: {Reason}")]
    private static partial void LogRestoreFailed(ILogger logger, string file, string reason);
}

/// <summary>Another process holds the <c>--data-dir</c> lock.</summary>
internal sealed class DataDirectoryInUseException(string directory, string? holder)
    : Exception($"data directory {directory} is in use by another svcproxy{(string.IsNullOrEmpty(holder) ? string.Empty : $" (pid {holder})")}; only one process may use a data directory");

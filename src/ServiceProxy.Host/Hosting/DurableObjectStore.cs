using System.Text.Json;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Host.Admin;
using ServiceProxy.Model;
using ServiceProxy.Registry;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// <c>--data-dir</c>: an <see cref="IObjectStore"/> that writes every object created or changed
/// through the API to disk before the write returns (temp file, fsync, atomic rename), so a change
/// answered 2xx survives kill -9. Objects written by manifest files (an owner is set) are not
/// persisted: they belong to their files. <see cref="Load"/> restores the objects at start.
/// Layout: <c>DIR/objects/{plural}/{namespace}/{name}.json</c>.
/// </summary>
internal sealed partial class DurableObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly string _root;
    private readonly ILogger<DurableObjectStore> _logger;

    // Serialises store write + file write so the file of an object always holds its latest state.
    private readonly Lock _gate = new();

    public DurableObjectStore(IObjectStore inner, string dataDirectory, ILogger<DurableObjectStore> logger)
    {
        _inner = inner;
        _root = Path.Combine(Path.GetFullPath(dataDirectory), "objects");
        _logger = logger;
        Directory.CreateDirectory(_root);
    }

    public long ResourceVersion => _inner.ResourceVersion;

    /// <summary>Recreates every persisted object in the inner store; unreadable or refused files are logged and skipped.</summary>
    public int Load()
    {
        var loaded = 0;
        foreach (var resource in KubeResource.All)
        {
            var directory = Path.Combine(_root, resource.Plural);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                try
                {
                    var obj = (KubeObject?)JsonSerializer.Deserialize(File.ReadAllText(file), resource.ClrType, KubeJson.Options)
                        ?? throw new JsonException("empty");
                    resource.Create(_inner, obj with { Metadata = obj.Metadata with { ResourceVersion = null } }, new WriteOptions());
                    loaded++;
                }
                catch (Exception e) when (e is JsonException or IOException or ObjectStoreException or UnauthorizedAccessException)
                {
                    LogRestoreFailed(file, e.Message);
                }
            }
        }

        return loaded;
    }

    public T? Get<T>(string @namespace, string name) where T : KubeObject => _inner.Get<T>(@namespace, name);

    public ObjectList<T> List<T>(string? @namespace = null) where T : KubeObject => _inner.List<T>(@namespace);

    public T Create<T>(T obj, WriteOptions? options = null) where T : KubeObject =>
        Persisted(options, () => _inner.Create(obj, options), written => Save(written));

    public T Update<T>(T obj, WriteOptions? options = null) where T : KubeObject =>
        Persisted(options, () => _inner.Update(obj, options), written => Save(written));

    public T Delete<T>(string @namespace, string name, WriteOptions? options = null) where T : KubeObject =>
        Persisted(options, () => _inner.Delete<T>(@namespace, name, options), Remove);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string? kind, string? @namespace, long fromResourceVersion, CancellationToken cancellationToken) =>
        _inner.WatchAsync(kind, @namespace, fromResourceVersion, cancellationToken);

    public string? GetOwner(string kind, string @namespace, string name) => _inner.GetOwner(kind, @namespace, name);

    public IChangeToken GetChangeToken() => _inner.GetChangeToken();

    public bool TryGetEventsSince(long resourceVersion, out IReadOnlyList<WatchEvent> events) => _inner.TryGetEventsSince(resourceVersion, out events);

    private T Persisted<T>(WriteOptions? options, Func<T> write, Action<KubeObject> persist) where T : KubeObject
    {
        if (options is { DryRun: true })
        {
            return write();
        }

        lock (_gate)
        {
            var written = write();
            if (options?.Owner is null)
            {
                persist(written);
            }
            else
            {
                // A manifest took the object over: its file is now the source of truth.
                Remove(written);
            }

            return written;
        }
    }

    private string PathOf(KubeObject obj) =>
        Path.Combine(_root, KubeResource.OfKind(obj.Kind)!.Plural, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name + ".json");

    private void Save(KubeObject obj)
    {
        var path = PathOf(obj);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, obj, obj.GetType(), KubeJson.Options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private void Remove(KubeObject obj)
    {
        var path = PathOf(obj);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    [LoggerMessage(EventId = 540, Level = LogLevel.Warning, Message = "persisted object {File} not restored: {Reason}")]
    private partial void LogRestoreFailed(string file, string reason);
}

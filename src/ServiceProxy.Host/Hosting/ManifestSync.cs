using System.Text.Json;
using System.Threading.Channels;
using ServiceProxy.Host.Admin;
using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Keeps the store in line with the <c>-f</c> manifests. Each file owns its objects
/// (<see cref="WriteOptions.Owner"/> = its path): a file is applied all or nothing, so a file that
/// fails to load or to validate changes nothing and its last good objects keep serving; a deleted
/// file's objects are deleted. With <c>--watch</c>, changes are applied after a quiet period
/// (FileSystemWatcher, with polling as the fallback for filesystems that do not report events).
/// </summary>
internal sealed partial class ManifestSync : IHostedService, IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly ManifestSyncOptions _options;
    private readonly HostReadiness _readiness;
    private readonly ILogger<ManifestSync> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<FileSystemWatcher> _watchers = [];

    // Refused content per file, so a poll does not retry (and re-log) it until the file or another one changes.
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _watchLoop = Task.CompletedTask;

    public ManifestSync(IObjectStore store, ManifestSyncOptions options, HostReadiness readiness, ILogger<ManifestSync> logger, TimeProvider time)
    {
        _store = store;
        _options = options;
        _readiness = readiness;
        _logger = logger;
        _time = time;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(cancellationToken);
        _readiness.MarkReady(HostReadiness.Manifests);
        if (_options.Watch && _options.Paths.Count > 0)
        {
            StartWatchers();
            _watchLoop = WatchLoopAsync(_stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        await _watchLoop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    /// <summary>Loads every manifest file whose content changed, and drops the objects of files that are gone.</summary>
    internal async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var current = ExpandPaths();
        _identities.Clear();
        var detached = new Dictionary<string, bool>(StringComparer.Ordinal);
        var changed = false;
        foreach (var gone in _files.Keys.Except(current, StringComparer.Ordinal).ToList())
        {
            // A vanished or replaced directory (unmounted, renamed) is not an edit: its files keep their last good state.
            if (IsDetached(gone, _files[gone], detached))
            {
                continue;
            }

            LogFileRemoved(gone);
            _refused.Remove(gone);
            if (await TryApplyAsync(gone, [], cancellationToken))
            {
                _files.Remove(gone);
                changed = true;
            }
        }

        _detachedDirectories.Clear();
        foreach (var (directory, missing) in detached)
        {
            _detachedDirectories[directory] = missing;
        }

        foreach (var file in current)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Mid-write or vanished between listing and reading: the next event or poll retries.
                LogUnreadable(file, e.Message);
                continue;
            }

            if (_files.TryGetValue(file, out var state) && state.Directory != DirectoryOf(file))
            {
                _files[file] = state = state with { Directory = DirectoryOf(file) }; // found in the directory there is now
            }

            if ((state is not null && state.Text == text) || (_refused.TryGetValue(file, out var refused) && refused == text))
            {
                continue;
            }

            _refused[file] = text;

            var result = ManifestReader.LoadText(text, file, _options.Reader);
            if (!result.Succeeded)
            {
                foreach (var error in result.Errors)
                {
                    LogInvalid(error.ToString());
                }

                LogKeptLastGood(file);
                continue;
            }

            if (await TryApplyAsync(file, result.Objects, cancellationToken))
            {
                _files[file] = new FileState(text, [.. result.Objects.Select(o => Identity.Of(o.Object))], ToJson(result.Objects), DirectoryOf(file));
                _refused.Remove(file);
                changed = true;
            }
            else
            {
                LogKeptLastGood(file);
            }
        }

        if (changed)
        {
            // A file refused for a conflict with another file may fit now.
            _refused.Clear();
        }
    }

    /// <summary>A file that cannot be applied is reported and changes nothing; it never stops the others (or the start).</summary>
    private async Task<bool> TryApplyAsync(string file, IReadOnlyList<LoadedObject> objects, CancellationToken cancellationToken)
    {
        try
        {
            return await ApplyAsync(file, objects, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogApplyFailed(file, e);
            return false;
        }
    }

    /// <summary>
    /// Makes the store hold exactly <paramref name="objects"/> for <paramref name="file"/>, all or nothing:
    /// every write is first tried as a dry run, and when a real write still fails (objects of the same
    /// file that collide, such as two equal nodePorts) the file's earlier writes are undone.
    /// </summary>
    private async Task<bool> ApplyAsync(string file, IReadOnlyList<LoadedObject> objects, CancellationToken cancellationToken)
    {
        var previous = _files.GetValueOrDefault(file);
        var owner = new WriteOptions { Owner = file };
        var changed = objects.Where(o => previous is null || !previous.Json.TryGetValue(Identity.Of(o.Object), out var json) || json != ToJson(o.Object)).ToList();

        var dryRun = owner with { DryRun = true };
        var failed = false;
        foreach (var (loaded, collision) in NodePortCollisions(changed))
        {
            failed = true;
            LogInvalid(loaded.Locate(collision).ToString());
        }
        foreach (var loaded in changed)
        {
            try
            {
                await WriteAsync(loaded.Object, dryRun, cancellationToken);
            }
            catch (ObjectStoreException e)
            {
                failed = true;
                LogCauses(loaded, e);
            }
        }

        if (failed)
        {
            return false;
        }

        var undo = new List<(KubeObject Object, KubeObject? Before, string? BeforeOwner)>();
        foreach (var loaded in changed)
        {
            var obj = loaded.Object;
            var before = KubeResource.OfKind(obj.Kind)!.Get(_store, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name!);
            var beforeOwner = before is null ? null : _store.GetOwner(obj.Kind, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name!);
            try
            {
                await WriteAsync(obj, owner, cancellationToken);
                undo.Add((obj, before, beforeOwner));
            }
            catch (ObjectStoreException e)
            {
                LogCauses(loaded, e);
                await UndoAsync(file, undo, cancellationToken);
                return false;
            }
        }

        foreach (var loaded in changed)
        {
            LogApplied(loaded.Object.Kind, loaded.Object.Key, file);
        }

        var kept = objects.Select(o => Identity.Of(o.Object)).ToHashSet();
        foreach (var stale in previous?.Objects.Where(o => !kept.Contains(o)) ?? [])
        {
            if (_store.GetOwner(stale.Kind, stale.Namespace, stale.Name) != file)
            {
                continue; // Taken over since (by another file or the API): no longer ours to delete.
            }

            try
            {
                await KubeResource.OfKind(stale.Kind)!.DeleteAsync(_store, stale.Namespace, stale.Name, owner, cancellationToken);
                LogDeleted(stale.Kind, $"{stale.Namespace}/{stale.Name}", file);
            }
            catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.NotFound)
            {
                // Already gone.
            }
        }

        return true;
    }

    /// <summary>
    /// Explicit nodePorts that two Services of one file both ask for: each passes its own dry run, so
    /// without this the first would be written and then undone.
    /// </summary>
    private static IEnumerable<(LoadedObject Loaded, FieldError Error)> NodePortCollisions(IEnumerable<LoadedObject> objects)
    {
        var claimed = new Dictionary<(string Protocol, int NodePort), string>();
        foreach (var loaded in objects)
        {
            if (loaded.Object is not Service { Spec.Ports: { } ports } service)
            {
                continue;
            }

            var name = $"{service.Metadata.NamespaceOrDefault}/{service.Metadata.Name}";
            for (var i = 0; i < ports.Count; i++)
            {
                var key = (ports[i].Protocol ?? "TCP", ports[i].NodePort);
                if (key.NodePort != 0 && !claimed.TryAdd(key, name) && claimed[key] != name)
                {
                    yield return (loaded, new FieldError($"spec.ports[{i}].nodePort", FieldErrorType.Invalid, "provided port is already allocated", key.NodePort));
                }
            }
        }
    }

    private void LogCauses(LoadedObject loaded, ObjectStoreException e)
    {
        foreach (var cause in e.Causes.DefaultIfEmpty(new FieldError("metadata.name", FieldErrorType.Invalid, e.Message, loaded.Object.Metadata.Name)))
        {
            LogInvalid(loaded.Locate(cause).ToString());
        }
    }

    /// <summary>Puts back, newest first, what a partly applied file replaced.</summary>
    private async Task UndoAsync(string file, List<(KubeObject Object, KubeObject? Before, string? BeforeOwner)> written, CancellationToken cancellationToken)
    {
        for (var i = written.Count - 1; i >= 0; i--)
        {
            var (obj, before, beforeOwner) = written[i];
            var resource = KubeResource.OfKind(obj.Kind)!;
            try
            {
                if (before is null)
                {
                    await resource.DeleteAsync(_store, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name!, new WriteOptions { Owner = file }, cancellationToken);
                }
                else
                {
                    await resource.UpdateAsync(_store, before with { Metadata = before.Metadata with { ResourceVersion = null } }, new WriteOptions { Owner = beforeOwner }, cancellationToken);
                }
            }
            catch (ObjectStoreException e)
            {
                LogUndoFailed(obj.Kind, obj.Key, file, e.Message);
            }
        }
    }

    /// <summary>Create, or replace whatever is there (a manifest is the desired state; allocations are kept by the store).</summary>
    private async Task WriteAsync(KubeObject obj, WriteOptions options, CancellationToken cancellationToken)
    {
        var resource = KubeResource.OfKind(obj.Kind)!;
        if (resource.Get(_store, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name!) is null)
        {
            await resource.CreateAsync(_store, obj, options, cancellationToken);
        }
        else
        {
            await resource.UpdateAsync(_store, obj with { Metadata = obj.Metadata with { ResourceVersion = null } }, options, cancellationToken);
        }
    }

    private List<string> ExpandPaths()
    {
        var files = new List<string>();
        foreach (var path in _options.Paths.Select(Path.GetFullPath))
        {
            if (Directory.Exists(path))
            {
                files.AddRange(ManifestReader.FilesOf(path, recursive: false).Where(IsManifestName)); // not hidden ones: editors' temporary files
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (!_options.Watch)
            {
                LogMissing(path);
            }
        }

        return [.. files.Distinct(StringComparer.Ordinal)];
    }

    private static Dictionary<Identity, string> ToJson(IReadOnlyList<LoadedObject> objects) =>
        objects.GroupBy(o => Identity.Of(o.Object)).ToDictionary(g => g.Key, g => ToJson(g.Last().Object));

    private static string ToJson(KubeObject obj) => JsonSerializer.Serialize(obj, obj.GetType(), KubeJson.Options);

    /// <param name="Directory">the directory the file was last found in.</param>
    private sealed record FileState(string Text, IReadOnlyList<Identity> Objects, IReadOnlyDictionary<Identity, string> Json, DirectoryIdentity? Directory);

    private readonly record struct Identity(string Kind, string Namespace, string Name)
    {
        public static Identity Of(KubeObject obj) => new(obj.Kind, obj.Metadata.NamespaceOrDefault, obj.Metadata.Name ?? string.Empty);
    }

    [LoggerMessage(EventId = 520, Level = LogLevel.Error, Message = "{Error}")]
    private partial void LogInvalid(string error);

    [LoggerMessage(EventId = 521, Level = LogLevel.Warning, Message = "{File}: not applied; the last good state of this file keeps serving")]
    private partial void LogKeptLastGood(string file);

    [LoggerMessage(EventId = 522, Level = LogLevel.Information, Message = "{Kind} {Key} applied from {File}")]
    private partial void LogApplied(string kind, string key, string file);

    [LoggerMessage(EventId = 523, Level = LogLevel.Information, Message = "{Kind} {Key} deleted: no longer in {File}")]
    private partial void LogDeleted(string kind, string key, string file);

    [LoggerMessage(EventId = 524, Level = LogLevel.Information, Message = "{File} is gone: deleting its objects")]
    private partial void LogFileRemoved(string file);

    [LoggerMessage(EventId = 525, Level = LogLevel.Warning, Message = "{File} could not be read: {Reason}")]
    private partial void LogUnreadable(string file, string reason);

    [LoggerMessage(EventId = 526, Level = LogLevel.Error, Message = "{Path}: no such file or directory")]
    private partial void LogMissing(string path);

    [LoggerMessage(EventId = 527, Level = LogLevel.Warning, Message = "cannot watch {Directory} ({Reason}); polling instead")]
    private partial void LogWatcherUnavailable(string directory, string reason);

    [LoggerMessage(EventId = 528, Level = LogLevel.Error, Message = "applying manifests failed")]
    private partial void LogReconcileFailed(Exception exception);

    [LoggerMessage(EventId = 530, Level = LogLevel.Error, Message = "{File}: not applied")]
    private partial void LogApplyFailed(string file, Exception exception);

    [LoggerMessage(EventId = 531, Level = LogLevel.Error, Message = "{Kind} {Key}: undoing the partly applied {File} failed: {Reason}")]
    private partial void LogUndoFailed(string kind, string key, string file, string reason);
}

/// <summary>Settings of <see cref="ManifestSync"/>.</summary>
internal sealed record ManifestSyncOptions
{
    public IReadOnlyList<string> Paths { get; init; } = [];

    public bool Watch { get; init; }

    /// <summary>Quiet period before a change is applied. Default 300 ms.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Longest wait, from the first event, before a change is applied even if events keep coming. Default 2 s.</summary>
    public TimeSpan MaxDebounce { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often files are compared when no event arrives. Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public ManifestReaderOptions Reader { get; init; } = ManifestReaderOptions.Default;
}

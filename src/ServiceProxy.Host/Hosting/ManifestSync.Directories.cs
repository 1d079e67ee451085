namespace ServiceProxy.Host.Hosting;

/// <summary>
/// A file is deleted only when it is missing from the very directory it was loaded from. A directory
/// that is gone (renamed away), or that is no longer the directory its files were loaded from (unmounted,
/// leaving the empty mount point; another volume mounted over it; renamed away and a new one made), was
/// not emptied by anyone: the files missing from it keep their last good state, and the files it has are
/// applied as usual, after which deleting one of them deletes its objects again.
/// </summary>
internal sealed partial class ManifestSync
{
    // Directories whose missing files are kept, and whether the directory itself is missing (or replaced), to log each once.
    private readonly Dictionary<string, bool> _detachedDirectories = new(StringComparer.Ordinal);

    // Identities of this reconcile, read after the listing so that a file the listing lacks was lacking in that directory.
    private readonly Dictionary<string, DirectoryIdentity?> _identities = new(StringComparer.Ordinal);

    private DirectoryIdentity? DirectoryOf(string file)
    {
        var directory = Path.GetDirectoryName(file)!;
        if (!_identities.TryGetValue(directory, out var identity))
        {
            identity = DirectoryIdentity.Of(directory);
            _identities[directory] = identity;
        }

        return identity;
    }

    /// <summary>True when <paramref name="gone"/> is missing because its directory is not the one it was loaded from.</summary>
    private bool IsDetached(string gone, FileState state, Dictionary<string, bool> detached)
    {
        var directory = Path.GetDirectoryName(gone)!;
        var missing = !Directory.Exists(directory);
        if (!missing && state.Directory == DirectoryOf(gone))
        {
            return false;
        }

        if (detached.TryAdd(directory, missing) && !(_detachedDirectories.TryGetValue(directory, out var was) && was == missing))
        {
            if (missing)
            {
                LogDirectoryMissing(directory);
            }
            else
            {
                LogDirectoryReplaced(directory);
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 529, Level = LogLevel.Warning, Message = "{Directory} is missing: its manifests keep their last good state until it is back")]
    private partial void LogDirectoryMissing(string directory);

    [LoggerMessage(EventId = 532, Level = LogLevel.Warning,
        Message = "{Directory} is not the directory its manifests were loaded from (unmounted or replaced): the files missing from it keep their last good state")]
    private partial void LogDirectoryReplaced(string directory);
}

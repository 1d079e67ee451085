using ServiceProxy.Kubernetes.Manifests;

namespace ServiceProxy.Host.Hosting;

/// <summary><c>--watch</c>: file events (only for manifest names) or a poll wake the loop, which waits for quiet, bounded, then reconciles.</summary>
internal sealed partial class ManifestSync
{
    private void StartWatchers()
    {
        foreach (var path in _options.Paths.Select(Path.GetFullPath))
        {
            var directory = Directory.Exists(path) ? path : Path.GetDirectoryName(path);
            if (directory is null || !Directory.Exists(directory))
            {
                continue;
            }

            try
            {
                var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
                if (!Directory.Exists(path))
                {
                    watcher.Filter = Path.GetFileName(path);
                }

                watcher.Changed += (_, e) => Signal(e.Name);
                watcher.Created += (_, e) => Signal(e.Name);
                watcher.Deleted += (_, e) => Signal(e.Name);
                watcher.Renamed += (_, e) =>
                {
                    Signal(e.Name);
                    Signal(e.OldName);
                };
                watcher.Error += (_, _) => Signal();
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
            {
                LogWatcherUnavailable(directory, e.Message);
            }
        }
    }

    private void Signal() => _changes.Writer.TryWrite(true);

    /// <summary>Logs, editors' swap and backup files (<c>.x.yaml.swp</c>, <c>x.yaml~</c>, <c>4913</c>, <c>.#x.yaml</c>) are not manifests and wake nothing.</summary>
    private void Signal(string? name)
    {
        if (name is null || IsManifestName(name))
        {
            Signal();
        }
    }

    private static bool IsManifestName(string path)
    {
        var name = Path.GetFileName(path);
        return !name.StartsWith('.') && ManifestReader.Extensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase);
    }

    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Wake on an event, or after the poll interval (the fallback when events are not delivered).
                using (var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    poll.CancelAfter(_options.PollInterval);
                    try
                    {
                        await _changes.Reader.ReadAsync(poll.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }

                // Debounce: editors write in several steps; wait until the files are quiet, but no longer
                // than MaxDebounce, so a file rewritten without pause is still applied.
                var deadline = _time.GetTimestamp() + (long)(_options.MaxDebounce.TotalSeconds * _time.TimestampFrequency);
                while (true)
                {
                    var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
                    if (left <= TimeSpan.Zero)
                    {
                        break;
                    }

                    using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    quiet.CancelAfter(left < _options.Debounce ? left : _options.Debounce);
                    try
                    {
                        await _changes.Reader.ReadAsync(quiet.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                }

                await ReconcileAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogReconcileFailed(e);
                await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}

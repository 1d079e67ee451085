using System.Text;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// Loads Kubernetes manifests (YAML, multi-document YAML, <c>kind: List</c>, JSON) into defaulted,
/// validated Service, Endpoints and Pod objects, or into every problem found, each located as
/// <c>file:line field: message</c>. A load is all or nothing: see <see cref="ManifestLoadResult"/>.
/// Thread-safe; every method reads its sources once and keeps no state.
/// </summary>
public static class ManifestLoader
{
    /// <summary>The file extensions read from a directory.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".yaml", ".yml", ".json"];

    /// <summary>Loads one YAML or JSON text. <paramref name="source"/> names it in errors (<c>-</c> for stdin).</summary>
    public static ManifestLoadResult LoadText(string text, string source = "-", ManifestLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var session = new LoadSession(options ?? ManifestLoaderOptions.Default);
        session.AddText(text, source);
        return session.Complete();
    }

    /// <summary>Loads a file (any extension: its content decides).</summary>
    public static ManifestLoadResult LoadFile(string path, ManifestLoaderOptions? options = null) =>
        LoadPaths([path], options);

    /// <summary>
    /// Loads every <c>*.yaml</c>, <c>*.yml</c> and <c>*.json</c> file of a directory, in ordinal order of
    /// their paths; subdirectories only when <see cref="ManifestLoaderOptions.Recursive"/>. An empty
    /// directory loads successfully with no objects.
    /// </summary>
    public static ManifestLoadResult LoadDirectory(string path, ManifestLoaderOptions? options = null) =>
        LoadPaths([path], options);

    /// <summary>Loads files and directories together, as one all-or-nothing load.</summary>
    public static ManifestLoadResult LoadPaths(IEnumerable<string> paths, ManifestLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var session = new LoadSession(options ?? ManifestLoaderOptions.Default);
        foreach (var path in paths)
        {
            session.AddPath(path);
        }

        return session.Complete();
    }

    /// <summary>Loads a stream (an HTTP body, stdin) as UTF-8 text, reading at most <see cref="ManifestLoaderOptions.MaxSourceBytes"/>.</summary>
    public static async Task<ManifestLoadResult> LoadStreamAsync(
        Stream stream, string source = "-", ManifestLoaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ManifestLoaderOptions.Default;
        var session = new LoadSession(options);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > options.MaxSourceBytes)
            {
                session.AddIoError(source, $"larger than {options.MaxSourceBytes} bytes");
                return session.Complete();
            }

            buffer.Write(chunk, 0, read);
        }

        if (LoadSession.TryDecodeUtf8(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), out var text))
        {
            session.AddText(text, source);
        }
        else
        {
            session.AddIoError(source, "not valid UTF-8 text");
        }

        return session.Complete();
    }

    /// <summary>The manifest files of a directory (<see cref="Extensions"/>), in ordinal order of their paths.</summary>
    public static IEnumerable<string> FilesOf(string directory, bool recursive) =>
        Directory.EnumerateFiles(directory, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);

    internal static Encoding StrictUtf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

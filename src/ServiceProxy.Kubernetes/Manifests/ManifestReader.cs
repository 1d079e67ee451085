using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// The one way Kubernetes manifests (YAML, multi-document YAML, <c>kind: List</c>, JSON) are read.
/// YAML is read as Kubernetes reads it (YAML 1.1 scalars: <c>yes</c> and <c>on</c> are true), with
/// budgets on depth, aliases and size that make any input safe to read. Two shapes come out:
/// <list type="bullet">
/// <item><c>Load*</c>: defaulted, validated Service, Endpoints and Pod objects, or every problem
/// found, each located as <c>file:line field: message</c>. A load is all or nothing: see
/// <see cref="ManifestLoadResult"/>.</item>
/// <item><see cref="ReadDocuments"/> and <see cref="ParseSingle"/>: the objects as JSON, for whoever
/// sends them on (a client) or checks them itself (an API server).</item>
/// </list>
/// Thread-safe; every method reads its sources once and keeps no state.
/// </summary>
public static class ManifestReader
{
    /// <summary>Deepest nesting of mappings and sequences a document may have; JSON bodies share it.</summary>
    public const int MaxDepth = YamlTreeReader.MaxDepth;

    /// <summary>The file extensions read from a directory.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".yaml", ".yml", ".json"];

    /// <summary>Loads one YAML or JSON text. <paramref name="source"/> names it in errors (<c>-</c> for stdin).</summary>
    public static ManifestLoadResult LoadText(string text, string source = "-", ManifestReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var session = new LoadSession(options ?? ManifestReaderOptions.Default);
        session.AddText(text, source);
        return session.Complete();
    }

    /// <summary>Loads a file (any extension: its content decides).</summary>
    public static ManifestLoadResult LoadFile(string path, ManifestReaderOptions? options = null) =>
        LoadPaths([path], options);

    /// <summary>
    /// Loads every <c>*.yaml</c>, <c>*.yml</c> and <c>*.json</c> file of a directory, in ordinal order of
    /// their paths; subdirectories only when <see cref="ManifestReaderOptions.Recursive"/>. An empty
    /// directory loads successfully with no objects.
    /// </summary>
    public static ManifestLoadResult LoadDirectory(string path, ManifestReaderOptions? options = null) =>
        LoadPaths([path], options);

    /// <summary>Loads files and directories together, as one all-or-nothing load.</summary>
    public static ManifestLoadResult LoadPaths(IEnumerable<string> paths, ManifestReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var session = new LoadSession(options ?? ManifestReaderOptions.Default);
        foreach (var path in paths)
        {
            session.AddPath(path);
        }

        return session.Complete();
    }

    /// <summary>Loads a stream (an HTTP body, stdin) as UTF-8 text, reading at most <see cref="ManifestReaderOptions.MaxSourceBytes"/>.</summary>
    public static async Task<ManifestLoadResult> LoadStreamAsync(
        Stream stream, string source = "-", ManifestReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ManifestReaderOptions.Default;
        var session = new LoadSession(options);
        var (text, error) = await ReadTextAsync(stream, options.MaxSourceBytes, cancellationToken).ConfigureAwait(false);
        if (text is not null)
        {
            session.AddText(text, source);
        }
        else
        {
            session.AddIoError(source, error!);
        }

        return session.Complete();
    }

    /// <summary>
    /// <see cref="ReadDocuments"/> of a stream (a file, stdin), read as <see cref="LoadStreamAsync"/>
    /// reads it: UTF-8 text of at most <see cref="ManifestReaderOptions.MaxSourceBytes"/>.
    /// </summary>
    /// <exception cref="FormatException">
    /// The stream is too large or not UTF-8 text, or <see cref="ReadDocuments"/> refuses its text.
    /// </exception>
    public static async Task<IReadOnlyList<ManifestDocument>> ReadDocumentsAsync(
        Stream stream, string source = "-", ManifestReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ManifestReaderOptions.Default;
        var (text, error) = await ReadTextAsync(stream, options.MaxSourceBytes, cancellationToken).ConfigureAwait(false);
        return text is not null ? ReadDocuments(text, source) : throw new FormatException(error);
    }

    /// <summary>The stream as strict UTF-8 text (a byte order mark dropped), or why it is not.</summary>
    private static async Task<(string? Text, string? Error)> ReadTextAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (null, $"larger than {maxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return LoadSession.TryDecodeUtf8(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), out var text)
            ? (text, null)
            : (null, "not valid UTF-8 text");
    }

    /// <summary>
    /// Every object of a (possibly multi-document) YAML or JSON text as JSON, each with where it was
    /// written: one per non-empty document, or one per item of a <c>kind: List</c> document. Nothing is
    /// validated beyond what the List itself must be.
    /// </summary>
    /// <exception cref="FormatException">
    /// The text is not YAML, is over a budget, holds a value JSON cannot hold, or has a malformed
    /// <c>kind: List</c>; the message starts with <c>line N:</c>.
    /// </exception>
    public static IReadOnlyList<ManifestDocument> ReadDocuments(string text, string source = "-")
    {
        ArgumentNullException.ThrowIfNull(text);
        var documents = new List<ManifestDocument>();
        foreach (var document in YamlToJson.ReadTrees(text))
        {
            if (document.Root is YamlMapping root && ManifestList.IsList(root))
            {
                var context = new DecodeContext();
                var isList = ManifestList.ReadHeader(context, root);
                var items = ManifestList.Items(root, context);
                if (!isList || context.Errors.Count > 0)
                {
                    var (error, at) = context.Errors[0];
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {at.Line}: {error}"));
                }

                for (var i = 0; i < items.Count; i++)
                {
                    var item = items[i];
                    documents.Add(new ManifestDocument(source, document.Index, i, new SourceLocation(item.Line, item.Column), YamlToJson.Convert(item)));
                }
            }
            else if (document.Root is not null && YamlToJson.Convert(document.Root) is { } value)
            {
                documents.Add(new ManifestDocument(source, document.Index, null, new SourceLocation(document.Root.Line, document.Root.Column), value));
            }
        }

        return documents;
    }

    /// <summary>Exactly one document as JSON (a request body), <c>kind: List</c> left as it is; null for none.</summary>
    /// <exception cref="FormatException">Not YAML, over a budget, or more than one document; the message carries the line.</exception>
    public static JsonNode? ParseSingle(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var documents = YamlToJson.ParseDocuments(text);
        return documents.Count switch
        {
            0 => null,
            1 => documents[0],
            _ => throw new FormatException("expected a single YAML document, found " + documents.Count),
        };
    }

    /// <summary>The manifest files of a directory (<see cref="Extensions"/>), in ordinal order of their paths.</summary>
    public static IEnumerable<string> FilesOf(string directory, bool recursive) =>
        Directory.EnumerateFiles(directory, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);

    internal static Encoding StrictUtf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

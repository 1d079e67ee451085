namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>A 1-based line and column in a manifest source.</summary>
public readonly record struct SourceLocation(int Line, int Column);

/// <summary>
/// Where each field of one loaded object was written: maps a Kubernetes field path
/// (<c>spec.ports[1].port</c>) to its line, so errors found later (validation, allocation)
/// can still be reported as <c>file:line</c>.
/// </summary>
public sealed class SourceMap
{
    private readonly IReadOnlyDictionary<string, SourceLocation> _locations;

    internal SourceMap(string source, int documentIndex, int? itemIndex, IReadOnlyDictionary<string, SourceLocation> locations)
    {
        Source = source;
        DocumentIndex = documentIndex;
        ItemIndex = itemIndex;
        _locations = locations;
    }

    /// <summary>The file path as given, or the name given to a text or stream source (<c>-</c> for stdin).</summary>
    public string Source { get; }

    /// <summary>0-based index of the YAML document (<c>---</c> section) in the source.</summary>
    public int DocumentIndex { get; }

    /// <summary>0-based index in <c>items</c> when the object came from a <c>kind: List</c>.</summary>
    public int? ItemIndex { get; }

    /// <summary>Every field path that was present in the source, with its location. The object root is "".</summary>
    public IReadOnlyDictionary<string, SourceLocation> Locations => _locations;

    /// <summary>The location of exactly this field path, when it was written in the source.</summary>
    public bool TryGetLocation(string fieldPath, out SourceLocation location) =>
        _locations.TryGetValue(fieldPath, out location);

    /// <summary>
    /// The location of the field, or of its nearest ancestor that was written: a missing
    /// <c>spec.ports[1].port</c> is reported at the line of <c>spec.ports[1]</c>.
    /// </summary>
    public SourceLocation Locate(string fieldPath)
    {
        var path = fieldPath;
        while (true)
        {
            if (_locations.TryGetValue(path, out var location))
            {
                return location;
            }

            if (path.Length == 0)
            {
                return default;
            }

            path = Parent(path);
        }
    }

    /// <summary><c>spec.ports[1].port</c> → <c>spec.ports[1]</c> → <c>spec.ports</c> → <c>spec</c> → "".</summary>
    internal static string Parent(string path)
    {
        if (path.EndsWith(']'))
        {
            var open = path.LastIndexOf('[');
            return open > 0 ? path[..open] : string.Empty;
        }

        var dot = path.LastIndexOf('.');
        return dot > 0 ? path[..dot] : string.Empty;
    }
}

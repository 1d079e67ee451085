using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>A defaulted, validated object and where it came from.</summary>
public sealed record LoadedObject(KubeObject Object, SourceMap SourceMap)
{
    /// <summary>The file path as given, or the name given to a text or stream source.</summary>
    public string Source => SourceMap.Source;

    /// <summary>0-based index of the YAML document in the source.</summary>
    public int DocumentIndex => SourceMap.DocumentIndex;

    /// <summary>
    /// Places an error found later (by the registry or allocator) at its line:
    /// <c>myapp-svc.yaml:14 spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated</c>.
    /// </summary>
    public ManifestError Locate(Validation.FieldError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var location = SourceMap.Locate(error.Field);
        return new ManifestError
        {
            Source = Source,
            DocumentIndex = DocumentIndex,
            ItemIndex = SourceMap.ItemIndex,
            Line = location.Line,
            Column = location.Column,
            Field = error.Field,
            Message = error.Message,
            Kind = ManifestErrorKind.Validation,
            FieldError = error,
        };
    }
}

/// <summary>
/// The outcome of one load. All or nothing: when <see cref="Errors"/> is not empty,
/// <see cref="Objects"/> is empty, so a load that fails can change nothing.
/// </summary>
public sealed record ManifestLoadResult(IReadOnlyList<LoadedObject> Objects, IReadOnlyList<ManifestError> Errors)
{
    /// <summary>True when there is no error (and so <see cref="Objects"/> holds every object read).</summary>
    public bool Succeeded => Errors.Count == 0;
}

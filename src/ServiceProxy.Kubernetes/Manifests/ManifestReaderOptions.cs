using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>How <see cref="ManifestReader"/> reads and checks manifests.</summary>
public sealed record ManifestReaderOptions
{
    /// <summary>The defaults: <see cref="ObjectValidator.Default"/>, not recursive, 16 MiB per source.</summary>
    public static ManifestReaderOptions Default { get; } = new();

    /// <summary>Defaults and validates each object. Default: <see cref="ObjectValidator.Default"/>.</summary>
    public IObjectValidator Validator { get; init; } = ObjectValidator.Default;

    /// <summary>Whether directories are read recursively (like <c>kubectl apply -R</c>). Default: false.</summary>
    public bool Recursive { get; init; }

    /// <summary>Largest accepted source (file, text or stream), in bytes (UTF-8). Default: 16 MiB.</summary>
    public long MaxSourceBytes { get; init; } = 16 * 1024 * 1024;
}

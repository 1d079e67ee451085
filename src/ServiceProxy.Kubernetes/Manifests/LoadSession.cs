using System.Text;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// One load over any number of sources: collects objects and errors, finds objects defined
/// twice, and hands out objects only when nothing at all went wrong.
/// </summary>
internal sealed class LoadSession(ManifestReaderOptions options)
{
    private readonly List<LoadedObject> _objects = [];
    private readonly List<ManifestError> _errors = [];

    public void AddPath(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (var file in ManifestReader.FilesOf(path, options.Recursive))
            {
                AddFile(file);
            }
        }
        else if (File.Exists(path))
        {
            AddFile(path);
        }
        else
        {
            AddIoError(path, "no such file or directory");
        }
    }

    public void AddFile(string path)
    {
        try
        {
            var length = new FileInfo(path).Length;
            if (length > options.MaxSourceBytes)
            {
                AddIoError(path, $"larger than {options.MaxSourceBytes} bytes");
                return;
            }

            if (!TryDecodeUtf8(File.ReadAllBytes(path), out var text))
            {
                AddIoError(path, "not valid UTF-8 text");
                return;
            }

            AddText(text, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AddIoError(path, e.Message);
        }
    }

    public void AddText(string text, string source)
    {
        if (Encoding.UTF8.GetByteCount(text) > options.MaxSourceBytes)
        {
            AddIoError(source, $"larger than {options.MaxSourceBytes} bytes");
            return;
        }

        var result = new ManifestTextLoader(source, options.Validator).Load(text);
        _objects.AddRange(result.Objects);
        _errors.AddRange(result.Errors);
    }

    public void AddIoError(string source, string message) =>
        _errors.Add(new ManifestError { Source = source, DocumentIndex = -1, Message = message, Kind = ManifestErrorKind.Io });

    public ManifestLoadResult Complete()
    {
        var seen = new Dictionary<(string Kind, string Key), LoadedObject>();
        foreach (var loaded in _objects)
        {
            var id = (loaded.Object.Kind, loaded.Object.Key);
            if (string.IsNullOrEmpty(loaded.Object.Metadata.Name))
            {
                continue; // generateName: the store names it, so it cannot collide here
            }

            if (seen.TryGetValue(id, out var first))
            {
                var at = first.SourceMap.Locate("metadata.name");
                var error = new FieldError("metadata.name", FieldErrorType.Duplicate, BadValue: loaded.Object.Metadata.Name);
                _errors.Add(loaded.Locate(error) with
                {
                    Message = $"{error.Message}: {loaded.Object.Kind} {loaded.Object.Key} is already defined at {first.Source}:{at.Line}",
                });
            }
            else
            {
                seen.Add(id, loaded);
            }
        }

        return _errors.Count == 0
            ? new ManifestLoadResult(_objects.ToArray(), [])
            : new ManifestLoadResult([], _errors.ToArray());
    }

    internal static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        var bom = Encoding.UTF8.Preamble;
        if (bytes.StartsWith(bom))
        {
            bytes = bytes[bom.Length..];
        }

        try
        {
            text = ManifestReader.StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }
}

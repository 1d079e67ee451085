using System.Text.Json.Nodes;
using ServiceProxy.Host.Serialization;
using ServiceProxy.Kubernetes.Manifests;

namespace ServiceProxy.Host.Cli;

/// <summary>
/// The objects of <c>-f FILE|DIR|-</c>: YAML (multi-document) or JSON, <c>kind: List</c> expanded,
/// read by <see cref="ManifestReader"/> as <c>run -f</c> reads them.
/// </summary>
internal static class ManifestInput
{
    public static async Task<IReadOnlyList<(string Source, JsonObject Object)>> ReadAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var objects = new List<(string, JsonObject)>();
        foreach (var path in paths)
        {
            foreach (var file in Expand(path))
            {
                IReadOnlyList<ManifestDocument> documents;
                try
                {
                    await using var stream = file == "-" ? Console.OpenStandardInput() : File.OpenRead(file);
                    documents = await ManifestReader.ReadDocumentsAsync(stream, file, cancellationToken: cancellationToken);
                }
                catch (FormatException e)
                {
                    throw new CliException($"error: error parsing {file}: {e.Message}");
                }

                foreach (var document in documents)
                {
                    if (document.Value is not JsonObject obj)
                    {
                        throw new CliException($"error: error parsing {file}: a document is not an object");
                    }

                    objects.Add((file, obj));
                }
            }
        }

        return objects;
    }

    private static IEnumerable<string> Expand(string path)
    {
        if (path == "-")
        {
            return [path];
        }

        if (Directory.Exists(path))
        {
            return ManifestReader.FilesOf(path, recursive: false);
        }

        if (!File.Exists(path))
        {
            throw new CliException($"error: the path \"{path}\" does not exist");
        }

        return [path];
    }
}

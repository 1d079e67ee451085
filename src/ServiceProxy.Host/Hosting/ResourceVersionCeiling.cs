using System.Globalization;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// <c>DIR/resource-version</c>: a durable bound above every resourceVersion the store has issued, so
/// a restart from <c>--data-dir</c> continues above them (kube-apiserver gets this from etcd's
/// revision, which never goes back). The bound is written ahead, <see cref="Step"/> versions at a
/// time: one fsync per <see cref="Step"/> writes rather than one each, and after a crash the store
/// starts at the bound, above whatever was issued under it.
/// </summary>
internal sealed class ResourceVersionCeiling
{
    public const long Step = 10_000;

    private readonly string _path;
    private long _ceiling;

    private ResourceVersionCeiling(string path, long floor)
    {
        _path = path;
        Floor = floor;
    }

    /// <summary>The bound the last run left: every version of this run is above it.</summary>
    public long Floor { get; }

    /// <summary>Reads the bound (0 when the directory is new) and writes the next one before any version is issued.</summary>
    /// <exception cref="InvalidDataException">The file holds something else than a version.</exception>
    public static ResourceVersionCeiling Open(string root)
    {
        var path = Path.Combine(root, "resource-version");
        var floor = 0L;
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out floor) || floor < 0)
            {
                throw new InvalidDataException($"{path} holds \"{(text.Length > 40 ? text[..40] + "..." : text)}\", not a resourceVersion; restore it, or remove it only if no client follows this server");
            }
        }

        var ceiling = new ResourceVersionCeiling(path, floor);
        ceiling.Raise(floor + Step);
        return ceiling;
    }

    /// <summary>Makes sure <paramref name="resourceVersion"/> is under the durable bound before it is issued.</summary>
    /// <exception cref="IOException">The bound could not be made durable: the write must be refused.</exception>
    public void Cover(long resourceVersion)
    {
        if (resourceVersion >= _ceiling)
        {
            Raise(resourceVersion + Step);
        }
    }

    private void Raise(long ceiling)
    {
        var temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(ceiling.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
        Libc.FsyncDirectory(Path.GetDirectoryName(_path)!);
        _ceiling = ceiling;
    }
}

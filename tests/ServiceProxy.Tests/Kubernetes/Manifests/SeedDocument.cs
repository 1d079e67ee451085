namespace ServiceProxy.Tests.Kubernetes.Manifests;

/// <summary>
/// The seed blog post (shared/seeds, a sibling of the repository in CI), and the manifests it
/// shows, extracted verbatim: the lines after a <c>cat NAME</c> / <c>vim NAME</c> prompt up to the
/// next <c>[root@</c> prompt. Missing seed is a failure, not a skip.
/// </summary>
internal static class SeedDocument
{
    private const string FileName = "000_05aa63d4d3384963.txt";

    public static string Path { get; } = Locate();

    public static string Text => File.ReadAllText(Path);

    /// <summary>The file shown after the <paramref name="occurrence"/>-th prompt line <c>COMMAND NAME</c>.</summary>
    public static string Extract(string command, string name, int occurrence = 0)
    {
        var lines = Text.Split('\n');
        var seen = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("[root@", StringComparison.Ordinal) && lines[i].Contains($"# {command} {name}", StringComparison.Ordinal) && seen++ == occurrence)
            {
                var body = lines.Skip(i + 1).TakeWhile(l => !l.StartsWith("[root@", StringComparison.Ordinal));
                return string.Join('\n', body) + "\n";
            }
        }

        throw new InvalidOperationException($"no '{command} {name}' prompt in the seed document {Path}");
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "seeds", FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"seed document shared/seeds/{FileName} not found in any parent of {AppContext.BaseDirectory}; it is a required test input");
    }
}

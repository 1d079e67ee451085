namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>Reads kubectl's human-readable tables: a header row, then rows whose cells hold no spaces.</summary>
internal static class KubectlTables
{
    public static string[] Lines(string stdout) => stdout.TrimEnd('\n').Split('\n');

    public static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static string[] Header(string stdout) => Cells(Lines(stdout)[0]);

    /// <summary>The cells of the row whose column <paramref name="column"/> is <paramref name="value"/>.</summary>
    public static string[] Row(string stdout, string value, int column = 0)
    {
        var rows = Lines(stdout).Skip(1).Select(Cells).Where(c => c.Length > column && c[column] == value).ToList();
        return rows.Count == 1 ? rows[0] : throw new Xunit.Sdk.XunitException($"expected one row with \"{value}\" in column {column}, got {rows.Count}:\n{stdout}");
    }

    /// <summary>Every header starts where its column's cells start, as kubectl's tabwriter aligns them.</summary>
    public static void AssertAligned(string stdout)
    {
        var lines = Lines(stdout);
        var header = lines[0];
        foreach (var line in lines.Skip(1))
        {
            var position = 0;
            foreach (var (name, cell) in Cells(header).Zip(Cells(line)))
            {
                var start = header.IndexOf(name, position, StringComparison.Ordinal);
                Assert.Equal(cell, line.Substring(start, cell.Length));
                position = start + name.Length;
            }
        }
    }
}

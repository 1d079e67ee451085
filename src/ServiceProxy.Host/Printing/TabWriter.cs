using System.Text;

namespace ServiceProxy.Host.Printing;

/// <summary>
/// Go's <c>text/tabwriter</c> (flags 0, space padding), which kubectl prints tables and describe
/// output through: a tab ends a cell, cells of consecutive lines that have them form a column
/// padded to its widest cell, the text after a line's last tab is not aligned.
/// </summary>
internal sealed class TabWriter(int minWidth, int padding)
{
    /// <summary>kubectl get's table writer (<c>printers.GetNewTabWriter</c>).</summary>
    public static TabWriter Table { get; } = new(minWidth: 6, padding: 3);

    /// <summary>kubectl describe's writer (<c>tabbedString</c>).</summary>
    public static TabWriter Describe { get; } = new(minWidth: 0, padding: 2);

    public string Format(string text)
    {
        var lines = text.Split('\n');
        if (lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        var cells = lines.Select(l => l.Split('\t')).ToArray();
        var output = new StringBuilder();
        FormatBlock(cells, 0, cells.Length, [], output);
        return output.ToString();
    }

    private void FormatBlock(string[][] lines, int line0, int line1, List<int> widths, StringBuilder output)
    {
        var column = widths.Count;
        for (var current = line0; current < line1; current++)
        {
            if (column >= lines[current].Length - 1)
            {
                continue;
            }

            WriteLines(lines, line0, current, widths, output);
            line0 = current;

            var width = minWidth;
            for (; current < line1 && column < lines[current].Length - 1; current++)
            {
                width = Math.Max(width, lines[current][column].Length + padding);
            }

            widths.Add(width);
            FormatBlock(lines, line0, current, widths, output);
            widths.RemoveAt(widths.Count - 1);
            line0 = current;
            current--;
        }

        WriteLines(lines, line0, line1, widths, output);
    }

    private static void WriteLines(string[][] lines, int line0, int line1, List<int> widths, StringBuilder output)
    {
        for (var i = line0; i < line1; i++)
        {
            var line = lines[i];
            for (var j = 0; j < line.Length; j++)
            {
                output.Append(line[j]);
                if (j < widths.Count && j < line.Length - 1)
                {
                    output.Append(' ', Math.Max(0, widths[j] - line[j].Length));
                }
            }

            output.Append('\n');
        }
    }
}

using System.Text;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Printing;

/// <summary><c>svcproxy get</c>'s human-readable output: kubectl's columns, tab-aligned the way kubectl aligns them.</summary>
internal static class TablePrinter
{
    public static string Print(string kind, IEnumerable<KubeObject> objects, DateTimeOffset now, bool wide = false, bool showLabels = false, bool withNamespace = false)
    {
        var columns = ResourceTables.Columns(kind);
        var shown = columns.Select((c, i) => (Column: c, Index: i)).Where(c => wide || c.Column.Priority == 0).ToList();

        var text = new StringBuilder();
        var header = shown.Select(c => c.Column.Name.ToUpperInvariant()).ToList();
        if (withNamespace)
        {
            header.Insert(0, "NAMESPACE");
        }

        if (showLabels)
        {
            header.Add("LABELS");
        }

        text.Append(string.Join('\t', header)).Append('\n');
        foreach (var obj in objects)
        {
            var cells = ResourceTables.Cells(obj, now);
            var row = shown.Select(c => cells[c.Index]).ToList();
            if (withNamespace)
            {
                row.Insert(0, obj.Metadata.NamespaceOrDefault);
            }

            if (showLabels)
            {
                row.Add(ResourceTables.Labels(obj.Metadata.Labels));
            }

            text.Append(string.Join('\t', row)).Append('\n');
        }

        return TabWriter.Table.Format(text.ToString());
    }
}

using System.Text.RegularExpressions;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>Where a full-width space (U+3000) stands in place of an ASCII space.</summary>
internal enum FullWidthSpaceKind
{
    /// <summary><c>selector:　　#comment</c>: meant as a comment, but YAML only starts one after an ASCII space.</summary>
    BeforeComment,

    /// <summary>In indentation, after a <c>:</c> or <c>-</c> indicator, or at the end of a line.</summary>
    AsSeparator,
}

internal sealed record FullWidthSpace(int Line, int Column, FullWidthSpaceKind Kind)
{
    public string Message => Kind == FullWidthSpaceKind.BeforeComment
        ? "full-width space (U+3000) before '#': YAML comments need an ASCII space before '#'"
        : "full-width space (U+3000) is not a space in YAML: indent and separate with ASCII spaces";
}

/// <summary>
/// Finds full-width spaces (U+3000, common in CJK text) standing where YAML needs an ASCII space,
/// and returns the text with each of those replaced by one ASCII space. YAML does not treat U+3000
/// as white space, so <c>type: ClusterIP　　#comment</c> silently becomes the value
/// <c>"ClusterIP　　#comment"</c>, and <c>selector:　　#comment</c> turns a mapping into a string
/// or a syntax error far from the cause. The replacement keeps every line and column, so the
/// repaired text can still be parsed to report the other problems of the same file at once.
/// U+3000 inside quoted strings, block scalars and real comments, or between words, is content
/// and left alone. Quoted strings spanning several lines are not tracked.
/// </summary>
internal static partial class FullWidthSpaces
{
    public const char Ideographic = '\u3000';

    public static (string Repaired, List<FullWidthSpace> Found) Scan(string text)
    {
        var found = new List<FullWidthSpace>();
        if (!text.Contains(Ideographic))
        {
            return (text, found);
        }

        var chars = text.ToCharArray();
        var lineStart = 0;
        var lineNumber = 1;
        var blockScalarIndent = -1;
        while (lineStart <= chars.Length)
        {
            var lineEnd = Array.IndexOf(chars, '\n', lineStart);
            if (lineEnd < 0)
            {
                lineEnd = chars.Length;
            }

            var indent = IndentOf(chars, lineStart, lineEnd);
            var blank = indent == lineEnd - lineStart;
            if (blockScalarIndent >= 0 && (blank || indent > blockScalarIndent))
            {
                // Content of a literal (|) or folded (>) block scalar: text, not YAML structure.
            }
            else
            {
                blockScalarIndent = ScanLine(chars, lineStart, lineEnd, lineNumber, found) ? indent : -1;
            }

            lineStart = lineEnd + 1;
            lineNumber++;
        }

        return (new string(chars), found);
    }

    /// <summary>Scans one line, repairing it in place; returns true when it opens a block scalar.</summary>
    private static bool ScanLine(char[] chars, int start, int end, int lineNumber, List<FullWidthSpace> found)
    {
        var quote = '\0';
        var contentEnd = end;
        for (var i = start; i < end; i++)
        {
            var c = chars[i];
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if (c == '#' && (i == start || chars[i - 1] is ' ' or '\t'))
            {
                contentEnd = i;
                break;
            }

            if (c is '"' or '\'' && (i == start || IsBlank(chars[i - 1]) || chars[i - 1] is ':' or '[' or '{' or ',' or '-'))
            {
                quote = c;
                continue;
            }

            if (c != Ideographic)
            {
                continue;
            }

            var runEnd = i;
            while (runEnd < end && IsBlank(chars[runEnd]))
            {
                runEnd++;
            }

            var atLineStart = IndentOf(chars, start, end) >= i - start;
            var next = runEnd < end ? chars[runEnd] : '\0';
            var previous = i > start ? chars[i - 1] : '\0';
            FullWidthSpaceKind? kind =
                next == '#' ? FullWidthSpaceKind.BeforeComment
                : atLineStart || runEnd == end || next == '\r' || previous is ':' or '-' or ',' ? FullWidthSpaceKind.AsSeparator
                : null;
            if (kind is { } k)
            {
                found.Add(new FullWidthSpace(lineNumber, i - start + 1, k));
                for (var j = i; j < runEnd; j++)
                {
                    if (chars[j] == Ideographic)
                    {
                        chars[j] = ' ';
                    }
                }
            }

            i = runEnd - 1;
        }

        return quote == '\0' && BlockScalarHeader().IsMatch(new string(chars, start, contentEnd - start).TrimEnd());
    }

    /// <summary>Leading blanks (ASCII space, tab, or U+3000) of a line.</summary>
    private static int IndentOf(char[] chars, int start, int end)
    {
        var i = start;
        while (i < end && IsBlank(chars[i]))
        {
            i++;
        }

        return i - start;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or Ideographic;

    /// <summary>A line ending in a block scalar header: <c>key: |</c>, <c>- >-</c>, a lone <c>|2</c>…</summary>
    [GeneratedRegex(@"(^|[:-]\s+|^\s+)[|>][-+1-9]{0,2}\z")]
    private static partial Regex BlockScalarHeader();
}

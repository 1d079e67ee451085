using System.Globalization;
using System.Text;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The <c>Warning</c> headers of one response, kept as kube-apiserver's warning recorder keeps them:
/// each text once, and once the texts pass <see cref="MaxTotalRunes"/> in all, every text cut to
/// <see cref="MaxItemRunes"/> and no more added after the budget is spent. Texts are made safe for a
/// header (ASCII, no control characters) by escaping, never by dropping the warning.
/// </summary>
internal sealed class WarningRecorder
{
    /// <summary>kube-apiserver's <c>truncateAtTotalRunes</c>.</summary>
    public const int MaxTotalRunes = 4 * 1024;

    /// <summary>kube-apiserver's <c>truncateItemRunes</c>.</summary>
    public const int MaxItemRunes = 256;

    private readonly HttpResponse _response;
    private readonly HashSet<string> _recorded = new(StringComparer.Ordinal);
    private readonly List<string> _ordered = [];
    private int _written;
    private bool _truncating;

    private WarningRecorder(HttpResponse response) => _response = response;

    /// <summary>The recorder of <paramref name="context"/>'s response, created on first use.</summary>
    public static WarningRecorder For(HttpContext context)
    {
        if (context.Features.Get<WarningRecorder>() is { } recorder)
        {
            return recorder;
        }

        recorder = new WarningRecorder(context.Response);
        context.Features.Set(recorder);
        return recorder;
    }

    public void Add(string text)
    {
        if (text.Length == 0 || (_truncating && _written >= MaxTotalRunes) || !_recorded.Add(text))
        {
            return;
        }

        _ordered.Add(text);
        var runes = RuneCount(text);
        if (_truncating || _written + runes <= MaxTotalRunes)
        {
            Write(text);
            return;
        }

        // Over budget for the first time: start again with every warning so far cut short.
        _truncating = true;
        _written = 0;
        _response.Headers.Remove("Warning");
        var headers = new List<string>(_ordered.Count);
        foreach (var recorded in _ordered)
        {
            var (cut, length) = Truncate(recorded);
            _written += length;
            headers.Add(Header(cut));
        }

        _response.Headers["Warning"] = headers.ToArray();
    }

    private void Write(string text)
    {
        var (cut, length) = _truncating ? Truncate(text) : (text, RuneCount(text));
        _written += length;
        _response.Headers.Append("Warning", Header(cut));
    }

    private static (string Text, int Runes) Truncate(string text)
    {
        var runes = RuneCount(text);
        if (runes <= MaxItemRunes)
        {
            return (text, runes);
        }

        var end = 0;
        var count = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (count++ == MaxItemRunes)
            {
                break;
            }

            end += rune.Utf16SequenceLength;
        }

        return (text[..end], MaxItemRunes);
    }

    private static int RuneCount(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    /// <summary><c>299 - "text"</c>, with <c>\</c> and <c>"</c> escaped as RFC 7234 quoted-strings need.</summary>
    private static string Header(string text)
    {
        var header = new StringBuilder("299 - \"", text.Length + 10);
        foreach (var c in text)
        {
            if (c is '\\' or '"')
            {
                header.Append('\\');
            }

            // Kestrel refuses to send anything else in a header; callers quote their text with QuoteAscii.
            header.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return header.Append('"').ToString();
    }

    /// <summary>Go's <c>%+q</c>: a quoted string that is printable ASCII whatever <paramref name="text"/> holds.</summary>
    public static string QuoteAscii(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"' or '\\':
                    quoted.Append('\\').Append((char)rune.Value);
                    break;
                case '\n':
                    quoted.Append("\\n");
                    break;
                case '\r':
                    quoted.Append("\\r");
                    break;
                case '\t':
                    quoted.Append("\\t");
                    break;
                case >= 0x20 and < 0x7f:
                    quoted.Append((char)rune.Value);
                    break;
                case < 0x10000:
                    quoted.Append("\\u").Append(rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    quoted.Append("\\U").Append(rune.Value.ToString("x8", CultureInfo.InvariantCulture));
                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}

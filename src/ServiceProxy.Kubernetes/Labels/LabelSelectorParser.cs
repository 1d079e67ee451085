namespace ServiceProxy.Kubernetes.Labels;

/// <summary>
/// The label selector grammar of k8s.io/apimachinery/pkg/labels, read in one pass over the tokens:
/// <code>
/// selector    ::= requirement | requirement "," selector
/// requirement ::= ["!"] KEY [ ("in" | "notin") "(" values ")" | ("=" | "==" | "!=" | "&gt;" | "&lt;") VALUE ]
/// </code>
/// Tokens are separated by whitespace or by the symbols <c>= ! ( ) , &gt; &lt;</c>.
/// </summary>
internal sealed class LabelSelectorParser
{
    private readonly List<(Token Kind, string Text)> _tokens;
    private int _position;

    public LabelSelectorParser(string text) => _tokens = Lex(text);

    private enum Token
    {
        End,
        Identifier,
        In,
        NotIn,
        OpenParenthesis,
        CloseParenthesis,
        Comma,
        Not,
        Equals,
        DoubleEquals,
        NotEquals,
        GreaterThan,
        LessThan,
        Error,
    }

    /// <exception cref="FormatException">The text is not a selector.</exception>
    public List<LabelRequirement> Parse()
    {
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var (kind, text) = Peek(values: true);
            switch (kind)
            {
                case Token.Identifier or Token.Not:
                    requirements.Add(ParseRequirement());
                    var (next, nextText) = Next(values: true);
                    switch (next)
                    {
                        case Token.End:
                            return requirements;
                        case Token.Comma when Peek(values: true).Kind is Token.Identifier or Token.Not:
                            continue;
                        case Token.Comma:
                            throw new FormatException($"found '{Peek(values: true).Text}', expected: identifier after ','");
                        default:
                            throw new FormatException($"found '{nextText}', expected: ',' or 'end of string'");
                    }

                case Token.End:
                    return requirements;
                default:
                    throw new FormatException($"found '{text}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private LabelRequirement ParseRequirement()
    {
        var negated = false;
        var (kind, key) = Next(values: true);
        if (kind == Token.Not)
        {
            negated = true;
            (kind, key) = Next(values: true);
        }

        if (kind != Token.Identifier)
        {
            throw new FormatException($"unable to parse requirement: found '{key}', expected: identifier");
        }

        // "!key" takes no operator: whatever follows it is for the selector to accept or refuse.
        if (negated || Peek(values: true).Kind is Token.End or Token.Comma)
        {
            return new LabelRequirement(key, negated ? LabelOperator.DoesNotExist : LabelOperator.Exists, []);
        }

        var (op, opText) = Next(values: false);
        return op switch
        {
            Token.In => new LabelRequirement(key, LabelOperator.In, ParseValues()),
            Token.NotIn => new LabelRequirement(key, LabelOperator.NotIn, ParseValues()),
            Token.Equals => new LabelRequirement(key, LabelOperator.Equals, [ParseExactValue()]),
            Token.DoubleEquals => new LabelRequirement(key, LabelOperator.DoubleEquals, [ParseExactValue()]),
            Token.NotEquals => new LabelRequirement(key, LabelOperator.NotEquals, [ParseExactValue()]),
            Token.GreaterThan => new LabelRequirement(key, LabelOperator.GreaterThan, [ParseExactValue()]),
            Token.LessThan => new LabelRequirement(key, LabelOperator.LessThan, [ParseExactValue()]),
            _ => throw new FormatException($"unable to parse requirement: found '{opText}', expected: '=', '!=', '==', 'in', notin'"),
        };
    }

    /// <summary><c>(a,b,c)</c>; empty items (<c>(,a)</c>, <c>()</c>) are the empty value, as in Kubernetes.</summary>
    private List<string> ParseValues()
    {
        var (open, openText) = Next(values: true);
        if (open != Token.OpenParenthesis)
        {
            throw new FormatException($"unable to parse requirement: found '{openText}' expected: '('");
        }

        var values = new List<string>();
        var expectValue = true;
        while (true)
        {
            var (kind, text) = Next(values: true);
            switch (kind)
            {
                case Token.Identifier when expectValue:
                    values.Add(text);
                    expectValue = false;
                    break;
                case Token.Comma:
                    if (expectValue)
                    {
                        values.Add(string.Empty);
                    }

                    expectValue = true;
                    break;
                case Token.CloseParenthesis:
                    if (expectValue)
                    {
                        values.Add(string.Empty);
                    }

                    return values;
                default:
                    throw new FormatException($"unable to parse requirement: found '{text}', expected: ',', ')' or identifier");
            }
        }
    }

    private string ParseExactValue()
    {
        var (kind, text) = Peek(values: true);
        if (kind is Token.End or Token.Comma)
        {
            return string.Empty;
        }

        _position++;
        return kind == Token.Identifier ? text : throw new FormatException($"unable to parse requirement: found '{text}', expected: identifier");
    }

    /// <summary>In a value position, the words <c>in</c> and <c>notin</c> are plain values.</summary>
    private (Token Kind, string Text) Peek(bool values)
    {
        var (kind, text) = _tokens[Math.Min(_position, _tokens.Count - 1)];
        return values && kind is Token.In or Token.NotIn ? (Token.Identifier, text) : (kind, text);
    }

    private (Token Kind, string Text) Next(bool values)
    {
        var token = Peek(values);
        _position++;
        return token;
    }

    private static List<(Token, string)> Lex(string text)
    {
        var tokens = new List<(Token, string)>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && IsWhitespace(text[i]))
            {
                i++;
            }

            if (i == text.Length)
            {
                tokens.Add((Token.End, string.Empty));
                return tokens;
            }

            var start = i;
            if (IsSymbol(text[i]))
            {
                // The longest operator that the symbols spell: "!=" before "!", "==" before "=".
                var two = i + 1 < text.Length ? text.AsSpan(i, 2) : default;
                var (token, length) = two switch
                {
                    "!=" => (Token.NotEquals, 2),
                    "==" => (Token.DoubleEquals, 2),
                    _ => text[i] switch
                    {
                        '!' => (Token.Not, 1),
                        '=' => (Token.Equals, 1),
                        '(' => (Token.OpenParenthesis, 1),
                        ')' => (Token.CloseParenthesis, 1),
                        ',' => (Token.Comma, 1),
                        '>' => (Token.GreaterThan, 1),
                        _ => (Token.LessThan, 1),
                    },
                };
                i += length;
                tokens.Add((token, text.Substring(start, length)));
                continue;
            }

            while (i < text.Length && !IsWhitespace(text[i]) && !IsSymbol(text[i]))
            {
                i++;
            }

            var word = text[start..i];
            tokens.Add((word switch { "in" => Token.In, "notin" => Token.NotIn, _ => Token.Identifier }, word));
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsSymbol(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';
}

using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// Reads a YAML stream (JSON is a subset) into <see cref="YamlNode"/> trees: the one YAML reader of
/// manifests, <c>apply -f</c> and the admin API's YAML bodies. Stops at the first syntax error,
/// keeping the documents before it. Budgets make any input safe to read: nesting is at most
/// <see cref="MaxDepth"/> deep (counting what aliases bring in), so no input can overflow the stack;
/// aliases are shared, not copied, and what they expand to is bounded, so an alias bomb cannot
/// exhaust memory in whoever walks the tree.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>Nesting depth of mappings and sequences, as System.Text.Json's default for JSON bodies.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Nodes that alias uses may add to a document (each use counts its whole subtree) beyond the
    /// document's own nodes: expansion stays within twice the parsed size or this many nodes.
    /// </summary>
    public const int MaxAliasNodes = 100_000;

    public static (List<YamlDocument> Documents, YamlSyntaxError? Error) Read(string text)
    {
        var documents = new List<YamlDocument>();
        var parser = new Parser(new StringReader(text));
        var index = 0;
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out var start))
            {
                var builder = new DocumentBuilder(index);
                var root = parser.Accept<DocumentEnd>(out _) ? null : builder.ReadNode(parser);
                parser.Consume<DocumentEnd>();
                documents.Add(new YamlDocument(index, (int)start.Start.Line, root is YamlScalar { IsPlain: true, Value: "" } ? null : root));
                index++;
            }

            parser.Consume<StreamEnd>();
            return (documents, null);
        }
        catch (YamlException e)
        {
            var field = (e as FieldException)?.Field;
            return (documents, new YamlSyntaxError(index, (int)e.Start.Line, (int)e.Start.Column, CleanMessage(e)) { Field = field is "" ? null : field });
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's parser reports some malformed streams this way: "..." before any
            // document (InvalidOperationException), a tag that is not a URI (ArgumentException).
            var at = parser.Current?.Start;
            return (documents, new YamlSyntaxError(index, (int)(at?.Line ?? 1), (int)(at?.Column ?? 1), e.Message));
        }
    }

    private static string CleanMessage(YamlException e)
    {
        // YamlDotNet prefixes messages with "(Line: 8, Col: 8, Idx: 122) - (Line: ...): "; the position is reported separately.
        var message = e.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && cut > 0 ? message[(cut + 3)..] : message;
    }

    /// <summary>A problem the reader itself finds (a budget, an alias); <see cref="Field"/> is where (<c>spec.ports[0]</c>).</summary>
    private sealed class FieldException(Mark start, Mark end, string message, string field) : YamlException(start, end, message)
    {
        public string Field { get; } = field;
    }

    private sealed class DocumentBuilder(int documentIndex)
    {
        private readonly List<string> _path = [];
        private readonly Dictionary<string, (YamlNode Node, long Size, int Height)> _anchors = new(StringComparer.Ordinal);
        private long _nodes;
        private long _aliasNodes;
        private int _depth;
        private int _height;

        /// <summary>Reads one node; <see cref="_height"/> is then its own nesting depth (0 for a scalar).</summary>
        public YamlNode ReadNode(IParser parser)
        {
            var before = _nodes + _aliasNodes;
            YamlNode node;
            string? anchor = null;
            var height = 0;
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw FieldError(alias, $"unknown anchor '{alias.Value.Value}' referenced by an alias");
                    }

                    CheckDepth(_depth + target.Height, alias);
                    _aliasNodes += target.Size;
                    if (_aliasNodes > Math.Max(MaxAliasNodes, _nodes))
                    {
                        throw FieldError(alias, $"document contains excessive aliasing: aliases expand to more than {Math.Max(MaxAliasNodes, _nodes)} nodes");
                    }

                    _height = target.Height;
                    return target.Node;

                case Scalar scalar:
                    parser.MoveNext();
                    anchor = AnchorOf(scalar.Anchor);
                    node = new YamlScalar((int)scalar.Start.Line, (int)scalar.Start.Column, scalar.Value, scalar.Style, TagOf(scalar.Tag));
                    _nodes++;
                    break;

                case SequenceStart sequenceStart:
                    parser.MoveNext();
                    anchor = AnchorOf(sequenceStart.Anchor);
                    var sequence = new YamlSequence((int)sequenceStart.Start.Line, (int)sequenceStart.Start.Column);
                    Enter(sequenceStart);
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        _path.Add(string.Create(CultureInfo.InvariantCulture, $"[{sequence.Items.Count}]"));
                        sequence.Items.Add(ReadNode(parser));
                        _path.RemoveAt(_path.Count - 1);
                        height = Math.Max(height, _height);
                    }

                    _depth--;
                    height++;
                    node = sequence;
                    break;

                case MappingStart mappingStart:
                    parser.MoveNext();
                    anchor = AnchorOf(mappingStart.Anchor);
                    var mapping = new YamlMapping((int)mappingStart.Start.Line, (int)mappingStart.Start.Column);
                    Enter(mappingStart);
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var keyEvent = parser.Current!;
                        if (ReadNode(parser) is not YamlScalar key)
                        {
                            throw FieldError(keyEvent, "a mapping key must be a scalar (a plain name)");
                        }

                        if (!keys.Add(key.Value))
                        {
                            throw FieldError(keyEvent, $"duplicate field \"{key.Value}\"");
                        }

                        _path.Add(key.Value);
                        mapping.Entries.Add(new(key, ReadNode(parser)));
                        _path.RemoveAt(_path.Count - 1);
                        height = Math.Max(height, _height);
                    }

                    _depth--;
                    height++;
                    node = mapping;
                    break;

                default:
                    var unexpected = parser.Current!;
                    throw new YamlException(unexpected.Start, unexpected.End, $"unexpected {unexpected.GetType().Name} in document {documentIndex}");
            }

            if (anchor is not null)
            {
                _anchors[anchor] = (node, _nodes + _aliasNodes - before, height);
            }

            _height = height;
            return node;
        }

        private void Enter(ParsingEvent start)
        {
            _nodes++;
            _depth++;
            CheckDepth(_depth, start);
        }

        private void CheckDepth(int depth, ParsingEvent at)
        {
            if (depth > MaxDepth)
            {
                throw FieldError(at, $"exceeded max depth of {MaxDepth}");
            }
        }

        private FieldException FieldError(ParsingEvent at, string message)
        {
            var field = new StringBuilder();
            foreach (var segment in _path)
            {
                if (field.Length > 0 && !segment.StartsWith('['))
                {
                    field.Append('.');
                }

                field.Append(segment);
            }

            return new FieldException(at.Start, at.End, message, field.ToString());
        }

        private static string? AnchorOf(YamlDotNet.Core.AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

        private static string? TagOf(YamlDotNet.Core.TagName tag)
        {
            if (tag.IsEmpty || tag.IsNonSpecific)
            {
                return null;
            }

            // "!!str" and "!" both force a string; keep the resolved long form for the rest.
            return tag.Value == "!" ? YamlScalars.StrTag : tag.Value;
        }
    }
}

using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ServiceProxy.Manifests;

/// <summary>
/// Reads a YAML stream (JSON is a subset) into <see cref="YamlNode"/> trees. Stops at the first
/// syntax error, keeping the documents before it. Aliases are shared, not copied, and the node
/// count is bounded so an alias bomb cannot exhaust memory while decoding.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>Nodes (counting each alias use as its whole subtree) one document may expand to.</summary>
    public const int MaxNodesPerDocument = 100_000;

    private const string StrTag = "tag:yaml.org,2002:str";

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
            return (documents, new YamlSyntaxError(index, (int)e.Start.Line, (int)e.Start.Column, CleanMessage(e)));
        }
    }

    private static string CleanMessage(YamlException e)
    {
        // YamlDotNet prefixes messages with "(Line: 8, Col: 8, Idx: 122) - (Line: ...): "; the position is reported separately.
        var message = e.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && cut > 0 ? message[(cut + 3)..] : message;
    }

    private sealed class DocumentBuilder(int documentIndex)
    {
        private readonly Dictionary<string, (YamlNode Node, int Size)> _anchors = new(StringComparer.Ordinal);
        private int _nodes;

        public YamlNode ReadNode(IParser parser)
        {
            var before = _nodes;
            YamlNode node;
            string? anchor = null;
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw new YamlException(alias.Start, alias.End, $"unknown anchor '{alias.Value.Value}' referenced by an alias");
                    }

                    Count(target.Size, alias.Start, alias.End);
                    return target.Node;

                case Scalar scalar:
                    parser.MoveNext();
                    anchor = AnchorOf(scalar.Anchor);
                    node = new YamlScalar((int)scalar.Start.Line, (int)scalar.Start.Column, scalar.Value, scalar.Style, TagOf(scalar.Tag));
                    Count(1, scalar.Start, scalar.End);
                    break;

                case SequenceStart sequenceStart:
                    parser.MoveNext();
                    anchor = AnchorOf(sequenceStart.Anchor);
                    var sequence = new YamlSequence((int)sequenceStart.Start.Line, (int)sequenceStart.Start.Column);
                    Count(1, sequenceStart.Start, sequenceStart.End);
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        sequence.Items.Add(ReadNode(parser));
                    }

                    node = sequence;
                    break;

                case MappingStart mappingStart:
                    parser.MoveNext();
                    anchor = AnchorOf(mappingStart.Anchor);
                    var mapping = new YamlMapping((int)mappingStart.Start.Line, (int)mappingStart.Start.Column);
                    Count(1, mappingStart.Start, mappingStart.End);
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var keyEvent = parser.Current!;
                        if (ReadNode(parser) is not YamlScalar key)
                        {
                            throw new YamlException(keyEvent.Start, keyEvent.End, "a mapping key must be a scalar (a plain name)");
                        }

                        if (!keys.Add(key.Value))
                        {
                            throw new YamlException(keyEvent.Start, keyEvent.End, $"duplicate field \"{key.Value}\"");
                        }

                        mapping.Entries.Add(new(key, ReadNode(parser)));
                    }

                    node = mapping;
                    break;

                default:
                    var unexpected = parser.Current!;
                    throw new YamlException(unexpected.Start, unexpected.End, $"unexpected {unexpected.GetType().Name} in document {documentIndex}");
            }

            if (anchor is not null)
            {
                _anchors[anchor] = (node, _nodes - before);
            }

            return node;
        }

        private void Count(int nodes, Mark start, Mark end)
        {
            _nodes += nodes;
            if (_nodes > MaxNodesPerDocument)
            {
                throw new YamlException(start, end, $"document has more than {MaxNodesPerDocument} nodes (after expanding aliases)");
            }
        }

        private static string? AnchorOf(YamlDotNet.Core.AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

        private static string? TagOf(YamlDotNet.Core.TagName tag)
        {
            if (tag.IsEmpty || tag.IsNonSpecific)
            {
                return null;
            }

            // "!!str" and "!" both force a string; keep the resolved long form for the rest.
            return tag.Value == "!" ? StrTag : tag.Value;
        }
    }
}

using YamlDotNet.Core;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// A parsed YAML (or JSON) node that remembers where it started, so every decoding or validation
/// error can name its line. Built by <see cref="YamlTreeReader"/> from YamlDotNet's parser events.
/// </summary>
internal abstract class YamlNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

internal sealed class YamlScalar(int line, int column, string value, ScalarStyle style, string? tag) : YamlNode(line, column)
{
    public string Value { get; } = value;

    public ScalarStyle Style { get; } = style;

    /// <summary>An explicit tag (<c>!!str</c>, <c>!!int</c>), or null for none.</summary>
    public string? Tag { get; } = tag;

    /// <summary>A plain, untagged scalar: its type comes from its text (<c>80</c> is a number, <c>~</c> null).</summary>
    public bool IsPlain => Style == ScalarStyle.Plain && Tag is null;
}

internal sealed class YamlMapping(int line, int column) : YamlNode(line, column)
{
    public List<KeyValuePair<YamlScalar, YamlNode>> Entries { get; } = [];
}

internal sealed class YamlSequence(int line, int column) : YamlNode(line, column)
{
    public List<YamlNode> Items { get; } = [];
}

/// <summary>One document of a YAML stream; <see cref="Root"/> is null for an empty document.</summary>
internal sealed record YamlDocument(int Index, int Line, YamlNode? Root);

/// <summary>A YAML syntax problem at a position (1-based line and column).</summary>
internal sealed record YamlSyntaxError(int DocumentIndex, int Line, int Column, string Message)
{
    /// <summary>The field path where a budget (depth, aliases) refused the document, or null.</summary>
    public string? Field { get; init; }
}

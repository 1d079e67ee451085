namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// <c>kind: List</c>, expanded here for both ways a manifest is read (typed objects in
/// <see cref="ManifestTextLoader"/>, JSON documents in <see cref="ManifestReader.ReadDocuments"/>):
/// a <c>v1</c> List's <c>items</c> are objects of their own, each known by its index.
/// </summary>
internal static class ManifestList
{
    public const string Kind = "List";

    private static readonly string[] ListKind = [Kind];

    /// <summary>Whether the document says <c>kind: List</c> (its apiVersion is checked by <see cref="Items"/>'s caller).</summary>
    public static bool IsList(YamlMapping root) =>
        root.Entries.Any(e => e.Key.Value == "kind" && e.Value is YamlScalar { Value: Kind } kind && YamlScalars.Resolve(kind) == YamlScalarKind.String);

    /// <summary>
    /// Reads <c>apiVersion</c> and <c>kind</c> of a document known to be a List; false (with the errors
    /// in <paramref name="context"/>) when they are not <c>v1</c> and <c>List</c>.
    /// </summary>
    public static bool ReadHeader(DecodeContext context, YamlMapping root) =>
        ObjectDecoder.ReadKind(context, root, ListKind) == Kind;

    /// <summary>
    /// The items of a List, in order. The List's own fields are checked into <paramref name="context"/>:
    /// <c>metadata</c> is ignored, any other field than <c>apiVersion</c>, <c>kind</c> and <c>items</c>
    /// is unknown, and <c>items</c> must be a sequence (or null: no items).
    /// </summary>
    public static IReadOnlyList<YamlNode> Items(YamlMapping root, DecodeContext context)
    {
        IReadOnlyList<YamlNode> found = [];
        foreach (var (key, value, path) in context.Fields(root, string.Empty))
        {
            switch (key)
            {
                case "apiVersion" or "kind" or "metadata":
                    break;
                case "items" when value is YamlSequence items:
                    found = items.Items;
                    break;
                case "items":
                    context.List(value, path, (_, _) => 0); // null, or the "must be a list" error
                    break;
                default:
                    context.Unknown(0, path, value);
                    break;
            }
        }

        return found;
    }
}

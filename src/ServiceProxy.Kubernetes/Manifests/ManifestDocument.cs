using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// One object of a manifest source as JSON, read by <see cref="ManifestReader.ReadDocuments"/>: a
/// YAML document, or one item of a <c>kind: List</c> document.
/// </summary>
/// <param name="Source">The file path as given, or the name given to the text (<c>-</c> for stdin).</param>
/// <param name="DocumentIndex">0-based index of the YAML document (<c>---</c> section) in the source.</param>
/// <param name="ItemIndex">0-based index in <c>items</c> when the object came from a <c>kind: List</c>; otherwise null.</param>
/// <param name="Location">Where the object starts in the source.</param>
/// <param name="Value">The object as JSON: an object for a manifest, anything else for a malformed one (null for a null List item).</param>
public sealed record ManifestDocument(string Source, int DocumentIndex, int? ItemIndex, SourceLocation Location, JsonNode? Value);

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// RFC 6902 JSON Patch (<c>application/json-patch+json</c>) over <see cref="JsonNode"/>, with
/// kube-apiserver's limits: at most <see cref="MaxOperations"/> operations, and <c>copy</c> may add at
/// most <see cref="MaxCopyBytes"/> to the document in all (a copy of a list into itself doubles it,
/// so thirty of them in a 2 KB patch would take a terabyte).
/// </summary>
internal static class JsonPatch
{
    /// <summary>kube-apiserver's <c>maxJSONPatchOperations</c>.</summary>
    public const int MaxOperations = 10_000;

    /// <summary>kube-apiserver's <c>JSONPatchMaxCopyBytes</c> (json-patch's <c>AccumulatedCopySizeLimit</c>), 3 MiB.</summary>
    public const long MaxCopyBytes = 3 * 1024 * 1024;

    /// <summary>Applies every operation in order to a copy of <paramref name="document"/>.</summary>
    /// <exception cref="FormatException">An operation is malformed, its path does not exist, or a test fails.</exception>
    /// <exception cref="ApiException">The patch has too many operations (413) or copies too much (422), as kube-apiserver answers.</exception>
    public static JsonNode? Apply(JsonNode? document, JsonNode patch, CancellationToken cancellationToken = default)
    {
        if (patch is not JsonArray operations)
        {
            throw new FormatException("a JSON patch must be an array of operations");
        }

        if (operations.Count > MaxOperations)
        {
            throw new ApiException(ApiStatus.Failure(
                413,
                "RequestEntityTooLarge",
                $"Request entity too large: The allowed maximum operations in a JSON patch is {MaxOperations}, got {operations.Count}"));
        }

        var root = new JsonObject { ["doc"] = document?.DeepClone() };
        long copied = 0;
        foreach (var operation in operations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (operation is not JsonObject op || op["op"]?.ToString() is not { } name || op["path"]?.ToString() is not { } path)
            {
                throw new FormatException("each JSON patch operation needs \"op\" and \"path\"");
            }

            switch (name)
            {
                case "add":
                    Add(root, path, Value(op));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, Value(op));
                    break;
                case "move":
                    var moved = Remove(root, From(op));
                    Add(root, path, moved);
                    break;
                case "copy":
                    var source = Find(root, From(op));
                    copied += SizeOf(source);
                    if (copied > MaxCopyBytes)
                    {
                        throw CopyLimitExceeded(copied);
                    }

                    Add(root, path, source?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Find(root, path), op["value"]))
                    {
                        throw new FormatException($"test operation failed at {path}");
                    }

                    break;
                default:
                    throw new FormatException($"unknown JSON patch operation \"{name}\"");
            }
        }

        return root["doc"]?.DeepClone();
    }

    /// <summary>The size of <paramref name="node"/> as JSON, counted without building the text.</summary>
    private static long SizeOf(JsonNode? node) => KubeJson.SizeOf(node);

    /// <summary>
    /// kube-apiserver answers a failed JSON patch with a generic 422; the json-patch library's reason
    /// (its own words) goes in the cause so that it is not lost.
    /// </summary>
    private static ApiException CopyLimitExceeded(long copied) =>
        new(ApiStatus.Failure(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
            new StatusDetails
            {
                Causes =
                [
                    new StatusCause(
                        "UnexpectedServerResponse",
                        $"Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {MaxCopyBytes}",
                        string.Empty),
                ],
            }));

    private static JsonNode? Value(JsonObject op) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw new FormatException($"\"{op["op"]}\" needs a \"value\"");

    private static string From(JsonObject op) => op["from"]?.ToString() ?? throw new FormatException($"\"{op["op"]}\" needs \"from\"");

    private static (JsonNode Parent, string Token) Resolve(JsonObject root, string pointer)
    {
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            throw new FormatException($"invalid JSON pointer \"{pointer}\"");
        }

        var tokens = pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();
        JsonNode parent = root;
        var token = "doc";
        foreach (var next in tokens)
        {
            parent = Child(parent, token) ?? throw new FormatException($"path \"{pointer}\" does not exist");
            token = next;
        }

        return (parent, token);
    }

    private static JsonNode? Child(JsonNode parent, string token) => parent switch
    {
        JsonObject obj => obj[token],
        JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count => array[i],
        _ => null,
    };

    private static JsonNode? Find(JsonObject root, string pointer)
    {
        var (parent, token) = Resolve(root, pointer);
        return Child(parent, token);
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value)
    {
        var (parent, token) = Resolve(root, pointer);
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array when token == "-":
                array.Add(value);
                break;
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= array.Count:
                array.Insert(i, value);
                break;
            default:
                throw new FormatException($"path \"{pointer}\" does not exist");
        }
    }

    private static JsonNode? Remove(JsonObject root, string pointer)
    {
        var (parent, token) = Resolve(root, pointer);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                var value = obj[token];
                obj.Remove(token);
                return value;
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count:
                var item = array[i];
                array.RemoveAt(i);
                return item;
            default:
                throw new FormatException($"path \"{pointer}\" does not exist");
        }
    }
}

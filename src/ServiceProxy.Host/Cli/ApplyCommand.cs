using System.CommandLine;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.Host.Cli;

/// <summary>
/// <c>svcproxy apply -f FILE|DIR|-</c> (create or update: <c>service/redis created|configured|unchanged</c>)
/// and <c>svcproxy create -f</c> (create only).
/// </summary>
internal static class ApplyCommand
{
    public static Command CreateApply(GlobalOptions global) => Build(global, "apply", "Create or update objects from files.", apply: true);

    public static Command CreateCreate(GlobalOptions global) => Build(global, "create", "Create objects from files.", apply: false);

    private static Command Build(GlobalOptions global, string name, string description, bool apply)
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "A file, a directory or - for stdin.", Required = true, Arity = ArgumentArity.OneOrMore };
        var dryRun = new Option<string?>("--dry-run") { Description = "server: validate and allocate, store nothing." };
        dryRun.AcceptOnlyFromAmong("none", "server");
        var command = new Command(name, description) { files, dryRun };
        command.SetAction((result, cancellationToken) => GlobalOptions.RunAsync(async () =>
        {
            using var client = global.CreateClient(result);
            var query = result.GetValue(dryRun) == "server" ? "?dryRun=All" : string.Empty;
            var suffix = query.Length > 0 ? " (server dry run)" : string.Empty;
            var failed = false;
            foreach (var (source, obj) in await ManifestInput.ReadAsync(result.GetValue(files)!, cancellationToken))
            {
                try
                {
                    var outcome = apply
                        ? await ApplyOneAsync(client, global.NamespaceOf(result), obj, query, source, cancellationToken)
                        : await CreateOneAsync(client, global.NamespaceOf(result), obj, query, source, cancellationToken);
                    await Console.Out.WriteLineAsync(outcome + suffix);
                }
                catch (CliException e)
                {
                    await Console.Error.WriteLineAsync(e.Message);
                    failed = true;
                }
            }

            return failed ? 1 : 0;
        }));
        return command;
    }

    private static (KubeResource Resource, string Namespace, string Name) Identify(JsonObject obj, string defaultNamespace, string source)
    {
        var kind = obj["kind"]?.ToString();
        var metadata = obj["metadata"] as JsonObject;
        var name = metadata?["name"]?.ToString() ?? string.Empty;
        if (KubeResource.OfKind(kind) is not { } resource || (obj["apiVersion"]?.ToString() ?? resource.ApiVersion) != resource.ApiVersion)
        {
            throw new CliException($"error: resource mapping not found for name: \"{name}\" namespace: \"{metadata?["namespace"]}\" from \"{source}\": no matches for kind \"{kind}\" in version \"{obj["apiVersion"]}\"");
        }

        return (resource, metadata?["namespace"]?.ToString() is { Length: > 0 } ns ? ns : defaultNamespace, name);
    }

    private static async Task<string> CreateOneAsync(AdminClient client, string defaultNamespace, JsonObject obj, string query, string source, CancellationToken cancellationToken)
    {
        var (resource, ns, name) = Identify(obj, defaultNamespace, source);
        var response = await client.SendAsync(HttpMethod.Post, ApiPaths.Collection(resource, ns) + query, obj, "application/json", cancellationToken);
        var created = response.EnsureSuccess($"error when creating \"{source}\"");
        return $"{resource.Singular}/{created["metadata"]?["name"] ?? name} created";
    }

    private static async Task<string> ApplyOneAsync(AdminClient client, string defaultNamespace, JsonObject obj, string query, string source, CancellationToken cancellationToken)
    {
        var (resource, ns, name) = Identify(obj, defaultNamespace, source);
        var modified = WithLastApplied(obj);
        var live = await client.GetAsync(ApiPaths.Item(resource, ns, name), cancellationToken);
        if (live.IsNotFound)
        {
            var response = await client.SendAsync(HttpMethod.Post, ApiPaths.Collection(resource, ns) + query, modified, "application/json", cancellationToken);
            response.EnsureSuccess($"error when creating \"{source}\"");
            return $"{resource.Singular}/{name} created";
        }

        var liveObject = (JsonObject)live.EnsureSuccess();
        var original = liveObject["metadata"]?["annotations"]?[ApplyPatch.LastAppliedAnnotation]?.ToString() is { } text
            ? JsonNode.Parse(text) as JsonObject
            : null;
        var patch = ApplyPatch.Compute(original, modified, liveObject);
        if (patch is null)
        {
            return $"{resource.Singular}/{name} unchanged";
        }

        var patched = await client.SendAsync(HttpMethod.Patch, ApiPaths.Item(resource, ns, name) + query, patch, "application/merge-patch+json", cancellationToken);
        patched.EnsureSuccess($"error when applying patch:\n{patch.ToJsonString()}\n\nto:\nResource: \"/v1, Resource={resource.Plural}\", Name: \"{name}\", Namespace: \"{ns}\"\nfor: \"{source}\"");
        return $"{resource.Singular}/{name} configured";
    }

    /// <summary>The object as sent, with itself (minus this annotation) recorded in the last-applied annotation, as kubectl does.</summary>
    private static JsonObject WithLastApplied(JsonObject obj)
    {
        var recorded = (JsonObject)obj.DeepClone();
        if (recorded["metadata"] is JsonObject metadata)
        {
            var annotations = metadata["annotations"] as JsonObject ?? [];
            annotations.Remove(ApplyPatch.LastAppliedAnnotation);
            metadata["annotations"] = annotations;
        }

        var modified = (JsonObject)obj.DeepClone();
        var modifiedMetadata = modified["metadata"] as JsonObject ?? [];
        modified["metadata"] = modifiedMetadata;
        var modifiedAnnotations = modifiedMetadata["annotations"] as JsonObject ?? [];
        modifiedMetadata["annotations"] = modifiedAnnotations;
        modifiedAnnotations[ApplyPatch.LastAppliedAnnotation] = SortKeys(recorded)!.ToJsonString() + "\n";
        return modified;
    }

    /// <summary>Keys in ordinal order at every level, as Go's encoding/json writes the annotation.</summary>
    private static JsonNode? SortKeys(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SortKeys(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(SortKeys)]),
        _ => node?.DeepClone(),
    };
}

using System.Text.Json.Nodes;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The OpenAPI path items of one group version, in v2 or v3 form, shaped like kube-apiserver's:
/// operation ids (<c>patchCoreV1NamespacedService</c>), <c>x-kubernetes-action</c> and
/// <c>x-kubernetes-group-version-kind</c> on every operation, and the query parameters each accepts.
/// </summary>
internal static class OpenApiPaths
{
    private static readonly string[] PatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

    private static readonly (string Name, string Type, string Description)[] WriteParameters =
    [
        ("dryRun", "string", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed"),
        ("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes."),
        ("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict"),
    ];

    private static readonly (string Name, string Type, string Description)[] ListParameters =
    [
        ("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        ("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        ("limit", "integer", "limit is a maximum number of responses to return for a list call."),
        ("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        ("timeoutSeconds", "integer", "Timeout for the list/watch call."),
        ("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
    ];

    public static JsonObject Build(string group, string version, string refPrefix, bool v3)
    {
        var paths = new JsonObject();
        foreach (var r in ApiResources.InGroupVersion(group, version))
        {
            var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
            var kindName = group.Length == 0 || KubeResource.OfKind(r.Kind) is not null ? ApiSchemas.NameOf(r.Kind) : ReadOnlySchemas.NameOf(group, r.Kind);
            var id = OperationIdPart(group, version);
            var writable = r.Verbs.Contains("create");
            var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = r.Kind };
            var op = new Operations(refPrefix, v3, gvk, kindName);

            var scope = r.Namespaced ? "Namespaced" : string.Empty;
            var collection = new JsonObject
            {
                ["get"] = op.Make($"list{id}{scope}{r.Kind}", "list", ListParameters, listOf: true),
            };
            var item = new JsonObject
            {
                ["get"] = op.Make($"read{id}{scope}{r.Kind}", "get", []),
                ["parameters"] = r.Namespaced ? new JsonArray(op.PathParameter("name"), op.PathParameter("namespace")) : new JsonArray(op.PathParameter("name")),
            };
            if (r.Namespaced)
            {
                collection["parameters"] = new JsonArray(op.PathParameter("namespace"));
            }

            if (writable)
            {
                collection["post"] = op.Make($"create{id}{scope}{r.Kind}", "post", WriteParameters, body: [ "application/json", "application/yaml" ], bodySchema: kindName, created: true);
                item["put"] = op.Make($"replace{id}{scope}{r.Kind}", "put", WriteParameters, body: ["application/json", "application/yaml"], bodySchema: kindName, created: true);
                item["patch"] = op.Make(
                    $"patch{id}{scope}{r.Kind}",
                    "patch",
                    [.. WriteParameters, ("force", "boolean", "Force is going to \"force\" Apply requests. It must be unset for non-apply patch requests.")],
                    body: PatchTypes,
                    bodySchema: "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
                    created: true);
                item["delete"] = op.Make($"delete{id}{scope}{r.Kind}", "delete", [("dryRun", "string", WriteParameters[0].Description)]);
            }

            if (!r.Namespaced)
            {
                paths[$"{prefix}/{r.Plural}"] = collection;
                paths[$"{prefix}/{r.Plural}/{{name}}"] = item;
                continue;
            }

            paths[$"{prefix}/namespaces/{{namespace}}/{r.Plural}"] = collection;
            paths[$"{prefix}/namespaces/{{namespace}}/{r.Plural}/{{name}}"] = item;
            paths[$"{prefix}/{r.Plural}"] = new JsonObject { ["get"] = op.Make($"list{id}{r.Kind}ForAllNamespaces", "list", ListParameters, listOf: true) };
        }

        return paths;
    }

    /// <summary><c>CoreV1</c>, <c>DiscoveryV1</c>: the group (first label, capitalised) and version, as in Kubernetes' operation ids.</summary>
    private static string OperationIdPart(string group, string version)
    {
        var name = group.Length == 0 ? "core" : group.Split('.')[0];
        return char.ToUpperInvariant(name[0]) + name[1..] + char.ToUpperInvariant(version[0]) + version[1..];
    }

    private sealed class Operations(string refPrefix, bool v3, JsonObject gvk, string kindName)
    {
        public JsonObject Make(string id, string action, IEnumerable<(string Name, string Type, string Description)> query, IReadOnlyList<string>? body = null, string? bodySchema = null, bool created = false, bool listOf = false)
        {
            var responseSchema = Schema(listOf ? kindName + "List" : kindName);
            var parameters = new JsonArray([.. query.Select(q => (JsonNode)Parameter(q.Name, "query", q.Type, q.Description, required: false))]);
            var operation = new JsonObject
            {
                ["description"] = $"{action} {gvk["kind"]}",
                ["operationId"] = id,
                ["parameters"] = parameters,
                ["responses"] = Responses(responseSchema, created),
                ["x-kubernetes-action"] = action,
                ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
            };
            if (body is not null)
            {
                if (v3)
                {
                    operation["requestBody"] = new JsonObject
                    {
                        ["content"] = new JsonObject([.. body.Select(b => KeyValuePair.Create(b, (JsonNode?)new JsonObject { ["schema"] = Schema(bodySchema!) }))]),
                        ["required"] = true,
                    };
                }
                else
                {
                    operation["consumes"] = DiscoveryApi.Strings(body);
                    parameters.Insert(0, new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = Schema(bodySchema!) });
                }
            }

            if (!v3)
            {
                operation["produces"] = DiscoveryApi.Strings(["application/json", "application/yaml"]);
                operation["schemes"] = DiscoveryApi.Strings(["https"]);
            }

            return operation;
        }

        public JsonObject PathParameter(string name) =>
            Parameter(name, "path", "string", name == "name" ? $"name of the {gvk["kind"]}" : "object name and auth scope, such as for teams and projects", required: true);

        private JsonObject Parameter(string name, string location, string type, string description, bool required)
        {
            var parameter = new JsonObject { ["name"] = name, ["in"] = location, ["description"] = description };
            if (required)
            {
                parameter["required"] = true;
            }

            if (v3)
            {
                parameter["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true };
            }
            else
            {
                parameter["type"] = type;
                parameter["uniqueItems"] = true;
            }

            return parameter;
        }

        private JsonObject Responses(JsonObject schema, bool created)
        {
            var responses = new JsonObject { ["200"] = Response("OK", schema) };
            if (created)
            {
                responses["201"] = Response("Created", schema.DeepClone().AsObject());
            }

            responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
            return responses;
        }

        private JsonObject Response(string description, JsonObject schema) => v3
            ? new JsonObject
            {
                ["description"] = description,
                ["content"] = new JsonObject
                {
                    ["application/json"] = new JsonObject { ["schema"] = schema },
                    ["application/yaml"] = new JsonObject { ["schema"] = schema.DeepClone() },
                },
            }
            : new JsonObject { ["description"] = description, ["schema"] = schema };

        private JsonObject Schema(string name) => new() { ["$ref"] = refPrefix + name };
    }
}

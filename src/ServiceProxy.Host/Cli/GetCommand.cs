using System.CommandLine;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;

namespace ServiceProxy.Host.Cli;

/// <summary><c>svcproxy get svc|ep|po [NAME] [-n NS | -A] [-o wide|yaml|json|name] [--show-labels] [--show-managed-fields] [-l SELECTOR]</c>.</summary>
internal static class GetCommand
{
    public static Command Create(GlobalOptions global)
    {
        var resourceArgument = new Argument<string>("resource") { Description = "services (svc), endpoints (ep) or pods (po)." };
        var nameArgument = new Argument<string[]>("name") { Arity = ArgumentArity.ZeroOrMore, Description = "Names; all when none." };
        var allNamespaces = new Option<bool>("--all-namespaces", "-A") { Description = "List across all namespaces." };
        var output = new Option<string?>("--output", "-o") { Description = "wide, yaml, json or name." };
        output.AcceptOnlyFromAmong("wide", "yaml", "json", "name");
        var showLabels = new Option<bool>("--show-labels") { Description = "Add a LABELS column." };
        var selector = new Option<string?>("--selector", "-l") { Description = "Label selector, e.g. app=myapp." };
        var showManagedFields = new Option<bool>("--show-managed-fields") { Description = "Keep metadata.managedFields in yaml and json output (left out otherwise, as kubectl does)." };

        var command = new Command("get", "Display one or many resources.") { resourceArgument, nameArgument, allNamespaces, output, showLabels, selector, showManagedFields };
        command.SetAction((result, cancellationToken) => GlobalOptions.RunAsync(async () =>
        {
            var resource = ApiPaths.Resolve(result.GetValue(resourceArgument)!);
            var names = result.GetValue(nameArgument) ?? [];
            var all = result.GetValue(allNamespaces) && names.Length == 0;
            var ns = global.NamespaceOf(result);
            using var client = global.CreateClient(result);

            var items = new List<JsonNode>();
            if (names.Length > 0)
            {
                foreach (var name in names)
                {
                    items.Add((await client.GetAsync(ApiPaths.Item(resource, ns, name), cancellationToken)).EnsureSuccess());
                }
            }
            else
            {
                var path = ApiPaths.Collection(resource, all ? null : ns);
                if (result.GetValue(selector) is { Length: > 0 } labelSelector)
                {
                    path += "?labelSelector=" + Uri.EscapeDataString(labelSelector);
                }

                var list = (await client.GetAsync(path, cancellationToken)).EnsureSuccess();
                items.AddRange((list["items"] as JsonArray ?? []).OfType<JsonNode>());
            }

            var format = result.GetValue(output);
            if (!result.GetValue(showManagedFields))
            {
                foreach (var item in items)
                {
                    (item["metadata"] as JsonObject)?.Remove("managedFields");
                }
            }
            if (items.Count == 0 && format is not ("json" or "yaml"))
            {
                await Console.Error.WriteLineAsync(all ? "No resources found" : $"No resources found in {ns} namespace.");
                return 0;
            }

            var single = names.Length == 1 ? items[0] : null;
            var text = format switch
            {
                "json" => ObjectOutput.Json(single is null ? ObjectOutput.AsList(resource, items) : ObjectOutput.WithKind(resource, single)),
                "yaml" => ObjectOutput.Yaml(single is null ? ObjectOutput.AsList(resource, items) : ObjectOutput.WithKind(resource, single)),
                "name" => string.Concat(items.Select(i => ObjectOutput.Name(resource, ObjectOutput.ToObject(resource, i)) + "\n")),
                _ => TablePrinter.Print(
                    resource.Kind,
                    items.Select(i => ObjectOutput.ToObject(resource, i)),
                    DateTimeOffset.UtcNow,
                    wide: format == "wide",
                    showLabels: result.GetValue(showLabels),
                    withNamespace: all && resource.Namespaced),
            };
            await Console.Out.WriteAsync(text);
            return 0;
        }));
        return command;
    }
}

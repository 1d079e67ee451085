using ServiceProxy.Kubernetes.Manifests;
using System.CommandLine;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Serialization;

namespace ServiceProxy.Host.Cli;

/// <summary><c>svcproxy patch svc NAME -p PATCH [--type strategic|merge|json]</c>: <c>service/myapp patched</c>.</summary>
internal static class PatchCommand
{
    public static Command Create(GlobalOptions global)
    {
        var resourceArgument = new Argument<string>("resource");
        var nameArgument = new Argument<string>("name");
        var patchOption = new Option<string>("--patch", "-p") { Description = "The patch, JSON or YAML.", Required = true };
        var typeOption = new Option<string>("--type") { Description = "strategic (default), merge or json.", DefaultValueFactory = _ => "strategic" };
        typeOption.AcceptOnlyFromAmong("strategic", "merge", "json");
        var command = new Command("patch", "Update fields of an object.") { resourceArgument, nameArgument, patchOption, typeOption };
        command.SetAction((result, cancellationToken) => GlobalOptions.RunAsync(async () =>
        {
            var resource = ApiPaths.Resolve(result.GetValue(resourceArgument)!);
            var name = result.GetValue(nameArgument)!;
            JsonNode? patch;
            try
            {
                patch = ManifestReader.ParseSingle(result.GetValue(patchOption)!);
            }
            catch (FormatException e)
            {
                throw new CliException($"error: unable to parse \"{result.GetValue(patchOption)}\": {e.Message}");
            }

            if (patch is null)
            {
                throw new CliException("error: must specify -p to patch");
            }

            var contentType = result.GetValue(typeOption) switch
            {
                "merge" => "application/merge-patch+json",
                "json" => "application/json-patch+json",
                _ => "application/strategic-merge-patch+json",
            };
            var path = ApiPaths.Item(resource, global.NamespaceOf(result), name);
            using var client = global.CreateClient(result);
            var before = (await client.GetAsync(path, cancellationToken)).EnsureSuccess();
            var after = (await client.SendAsync(HttpMethod.Patch, path, patch, contentType, cancellationToken)).EnsureSuccess();
            var unchanged = before["metadata"]?["resourceVersion"]?.ToString() == after["metadata"]?["resourceVersion"]?.ToString();
            await Console.Out.WriteLineAsync($"{resource.Singular}/{name} patched{(unchanged ? " (no change)" : string.Empty)}");
            return 0;
        }));
        return command;
    }
}

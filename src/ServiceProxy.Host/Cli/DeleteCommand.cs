using System.CommandLine;

namespace ServiceProxy.Host.Cli;

/// <summary><c>svcproxy delete svc NAME...</c>: <c>service "myapp" deleted</c>.</summary>
internal static class DeleteCommand
{
    public static Command Create(GlobalOptions global)
    {
        var resourceArgument = new Argument<string>("resource");
        var nameArgument = new Argument<string[]>("name") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete objects by name.") { resourceArgument, nameArgument };
        command.SetAction((result, cancellationToken) => GlobalOptions.RunAsync(async () =>
        {
            var resource = ApiPaths.Resolve(result.GetValue(resourceArgument)!);
            using var client = global.CreateClient(result);
            var failed = false;
            foreach (var name in result.GetValue(nameArgument)!)
            {
                var response = await client.SendAsync(HttpMethod.Delete, ApiPaths.Item(resource, global.NamespaceOf(result), name), null, null, cancellationToken);
                if (response.IsSuccess)
                {
                    await Console.Out.WriteLineAsync($"{resource.Singular} \"{name}\" deleted");
                }
                else
                {
                    await Console.Error.WriteLineAsync(ServerErrors.Format(response.StatusCode, response.Body));
                    failed = true;
                }
            }

            return failed ? 1 : 0;
        }));
        return command;
    }
}

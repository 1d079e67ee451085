using System.CommandLine;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Serialization;

namespace ServiceProxy.Host.Cli;

/// <summary><c>svcproxy kubeconfig</c>: a kubeconfig for kubectl and KubernetesClient, pointing at the admin API.</summary>
internal static class KubeconfigCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("kubeconfig", "Print a kubeconfig that points kubectl at the admin API.");
        command.SetAction(result =>
        {
            var server = result.GetValue(global.Server)!;
            Console.Out.Write(Render(server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server, result.GetValue(global.Token), global.NamespaceOf(result)));
            return 0;
        });
        return command;
    }

    public static string Render(string server, string? token, string @namespace)
    {
        var user = new JsonObject();
        if (!string.IsNullOrEmpty(token))
        {
            user["token"] = token;
        }

        var config = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Config",
            ["clusters"] = new JsonArray(new JsonObject { ["name"] = "svcproxy", ["cluster"] = new JsonObject { ["server"] = server } }),
            ["contexts"] = new JsonArray(new JsonObject
            {
                ["name"] = "svcproxy",
                ["context"] = new JsonObject { ["cluster"] = "svcproxy", ["namespace"] = @namespace, ["user"] = "svcproxy" },
            }),
            ["current-context"] = "svcproxy",
            ["preferences"] = new JsonObject(),
            ["users"] = new JsonArray(new JsonObject { ["name"] = "svcproxy", ["user"] = user }),
        };
        return YamlJson.ToYaml(config);
    }
}

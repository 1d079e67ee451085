using ServiceProxy.Kubernetes.Manifests;
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
        command.SetAction((result, _) =>
        {
            var server = result.GetValue(global.Server)!;
            return GlobalOptions.RunAsync(async () =>
            {
                var authority = result.GetValue(global.CertificateAuthority) is { Length: > 0 } file ? ReadAuthority(file) : null;
                await Console.Out.WriteAsync(Render(
                    server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server,
                    global.TokenOf(result),
                    global.NamespaceOf(result),
                    authority,
                    result.GetValue(global.InsecureSkipTlsVerify)));
                return 0;
            });
        });
        return command;
    }

    /// <param name="certificateAuthority">PEM bytes embedded as <c>certificate-authority-data</c>, so the kubeconfig stands alone.</param>
    public static string Render(string server, string? token, string @namespace, byte[]? certificateAuthority = null, bool insecureSkipTlsVerify = false)
    {
        var cluster = new JsonObject { ["server"] = server };
        if (certificateAuthority is not null)
        {
            cluster["certificate-authority-data"] = Convert.ToBase64String(certificateAuthority);
        }

        if (insecureSkipTlsVerify)
        {
            cluster["insecure-skip-tls-verify"] = true;
        }

        var user = new JsonObject();
        if (!string.IsNullOrEmpty(token))
        {
            user["token"] = token;
        }

        var config = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Config",
            ["clusters"] = new JsonArray(new JsonObject { ["name"] = "svcproxy", ["cluster"] = cluster }),
            ["contexts"] = new JsonArray(new JsonObject
            {
                ["name"] = "svcproxy",
                ["context"] = new JsonObject { ["cluster"] = "svcproxy", ["namespace"] = @namespace, ["user"] = "svcproxy" },
            }),
            ["current-context"] = "svcproxy",
            ["preferences"] = new JsonObject(),
            ["users"] = new JsonArray(new JsonObject { ["name"] = "svcproxy", ["user"] = user }),
        };
        return KubeYaml.ToYaml(config);
    }

    private static byte[] ReadAuthority(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"error: reading --certificate-authority \"{path}\": {e.Message}");
        }
    }
}

using System.CommandLine;

namespace ServiceProxy.Host.Cli;

/// <summary>Options every client command takes: where the admin API is, how to authenticate, which namespace.</summary>
internal sealed class GlobalOptions
{
    /// <summary>Where <c>run</c> serves the admin API by default (<see cref="Hosting.RunOptions.Admin"/>).</summary>
    public static readonly string DefaultAdminAddress = new Hosting.RunOptions().Admin;

    public Option<string> Server { get; } = new("--server", "-s")
    {
        Description = "The admin API's address (env SVCPROXY_SERVER).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SVCPROXY_SERVER") is { Length: > 0 } server
            ? server
            : "http://" + (Environment.GetEnvironmentVariable("SVCPROXY_ADMIN") is { Length: > 0 } admin ? admin : DefaultAdminAddress),
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token for the admin API (env SVCPROXY_TOKEN, or SVCPROXY_ADMIN_TOKEN).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SVCPROXY_TOKEN") ?? Environment.GetEnvironmentVariable("SVCPROXY_ADMIN_TOKEN"),
    };

    public Option<string?> TokenFile { get; } = new("--token-file")
    {
        Description = "File holding the bearer token, so it is not in the arguments for ps to show (env SVCPROXY_TOKEN_FILE); --token wins.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SVCPROXY_TOKEN_FILE"),
    };

    public Option<string?> CertificateAuthority { get; } = new("--certificate-authority")
    {
        Description = "PEM file of the certificate authority (or the self-signed certificate) an https admin API is checked against.",
        Recursive = true,
    };

    public Option<bool> InsecureSkipTlsVerify { get; } = new("--insecure-skip-tls-verify")
    {
        Description = "Do not check the https admin API's certificate: anyone on the path can read and change the traffic.",
        Recursive = true,
    };

    public Option<string?> Namespace { get; } = new("--namespace", "-n")
    {
        Description = "The namespace (default: default).",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(Token);
        command.Options.Add(TokenFile);
        command.Options.Add(CertificateAuthority);
        command.Options.Add(InsecureSkipTlsVerify);
        command.Options.Add(Namespace);
    }

    public AdminClient CreateClient(ParseResult result) =>
        new(result.GetValue(Server)!, TokenOf(result), result.GetValue(CertificateAuthority), result.GetValue(InsecureSkipTlsVerify));

    /// <summary>The token: <c>--token</c> given on the command line, else the token file's, else SVCPROXY_TOKEN's.</summary>
    public string? TokenOf(ParseResult result)
    {
        if (result.GetResult(Token) is { Implicit: false } || result.GetValue(TokenFile) is not { Length: > 0 } file)
        {
            return result.GetValue(Token);
        }

        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"error: reading --token-file \"{file}\": {e.Message}");
        }
    }

    public string NamespaceOf(ParseResult result) => result.GetValue(Namespace) is { Length: > 0 } ns ? ns : ServiceProxy.Kubernetes.Model.ObjectMeta.DefaultNamespace;

    /// <summary>Runs a client command: a <see cref="CliException"/> is printed to stderr and exits 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }
}

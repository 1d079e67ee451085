using System.CommandLine;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Host.Cli;

/// <summary>
/// <c>svcproxy run</c>: serve Services from manifests and the admin API until SIGTERM or Ctrl-C,
/// then drain. Every option can also come from <c>SVCPROXY_*</c> and appsettings.json (<see cref="RunConfiguration"/>).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var options = new Option[]
        {
            new Option<string[]>("--filename", "-f") { Description = "Manifest file or directory; repeatable.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false },
            new Option<bool>("--watch", "-w") { Description = "Apply manifest changes as they happen." },
            new Option<string[]>("--node-address") { Description = "Address NodePorts listen on; repeatable. Default: every local address.", Arity = ArgumentArity.OneOrMore },
            new Option<string>("--service-cidr") { Description = "ClusterIP range. Default 127.100.0.0/16." },
            new Option<string>("--node-port-range") { Description = "NodePort range. Default 30000-32767." },
            new Option<string>("--admin") { Description = "Admin API address. Default 127.0.0.1:8080." },
            new Option<string>("--admin-token") { Description = "Bearer token the admin API requires (mandatory off loopback)." },
            new Option<string>("--data-dir") { Description = "Keep objects created through the API here across restarts." },
            new Option<string>("--log-level") { Description = "Trace, Debug, Information (default), Warning, Error." },
            new Option<string>("--log-format") { Description = "text (default) or json." },
            new Option<bool>("--access-log") { Description = "Log every closed connection and UDP session." },
            new Option<string>("--tcp-engine") { Description = "TCP relay: splice (default on Linux), socket or pipelines." },
            new Option<int>("--busy-poll-us") { Description = "Linux event loops (splice engine, UDP): microseconds a loop with few sockets polls after its last event before sleeping. Default 50; 0: off." },
            new Option<int>("--event-loops") { Description = "Linux event loops (splice engine, UDP): threads that accept, dial and relay. Default 0: one per core." },
            new Option<bool>("--accept-on-loops") { Description = "Splice engine: accept on the event loops (default true); false accepts on .NET's socket thread, which hands clients to the loops." },
            new Option<string>("--admin-token-file") { Description = "File holding the admin API's bearer token (at least 16 bytes); unlike --admin-token, not visible in ps." },
            new Option<string>("--admin-tls-cert") { Description = "PEM certificate: serve the admin API over HTTPS (with --admin-tls-key)." },
            new Option<string>("--admin-tls-key") { Description = "PEM private key of --admin-tls-cert." },
            new Option<string[]>("--admin-allowed-hosts") { Description = "Host name the admin API answers besides loopback addresses, localhost and its own address (*.example.com for subdomains); repeatable.", Arity = ArgumentArity.OneOrMore },
            new Option<string[]>("--admin-allowed-origins") { Description = "Browser origin (https://host:port) allowed to call the admin API; repeatable. Default none.", Arity = ArgumentArity.OneOrMore },
            new Option<int>("--min-request-timeout") { Description = "Seconds a watch without timeoutSeconds lasts at least (at most twice that). Default 1800." },
            new Option<int>("--max-connections") { Description = "Most proxied TCP connections at once (UDP sessions share the budget, at most as many); beyond it TCP clients are reset and new UDP flows dropped. Default 0: what the descriptor limit fits, with a reserve for the admin API." },
        };
        var config = new Option<string>("--config") { Description = "JSON settings file (section Svcproxy). Default: appsettings.json beside the executable; the working directory is never read." };
        var command = new Command("run", "Serve Services: manifests, the data plane and the admin API.");
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.Options.Add(config);
        command.SetAction((result, cancellationToken) => RunAsync(() => Load(result, options, result.GetValue(config)), cancellationToken));
        return command;
    }

    /// <summary>
    /// The command line's explicit settings over the environment's over the settings file's: the one
    /// <paramref name="configFile"/> (or SVCPROXY_CONFIG) names, else appsettings.json beside the executable.
    /// </summary>
    internal static RunOptions Load(ParseResult result, IReadOnlyList<Option> options, string? configFile)
    {
        var commandLine = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var setting in RunConfiguration.Settings)
        {
            var option = options.Single(o => o.Name == setting.OptionName);
            if (result.GetResult(option) is not { Implicit: false } given)
            {
                continue;
            }

            commandLine[setting.Property] = given.GetValueOrDefault<object>() switch
            {
                string[] values => values,
                bool flag => [flag ? "true" : "false"],
                var value => [value?.ToString() ?? string.Empty],
            };
        }

        configFile ??= Environment.GetEnvironmentVariable(RunConfiguration.EnvironmentPrefix + "CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        return RunConfiguration.Load(commandLine, Environment.GetEnvironmentVariables(), configFile ?? RunConfiguration.DefaultConfigFile, required: configFile is not null);
    }

    private static async Task<int> RunAsync(Func<RunOptions> load, CancellationToken cancellationToken)
    {
        WebApplication app;
        RunOptions options;
        try
        {
            options = load();
            app = SvcproxyHost.Build(options);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or DataDirectoryInUseException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }

        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (IOException e)
        {
            // Kestrel could not bind the admin address (in use, not local).
            await Console.Error.WriteLineAsync($"error: cannot serve the admin API on {options.Admin}: {e.Message}");
            return 1;
        }
        finally
        {
            await app.DisposeAsync();
            _ = cancellationToken;
        }
    }
}

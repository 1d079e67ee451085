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
        };
        var command = new Command("run", "Serve Services: manifests, the data plane and the admin API.");
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction((result, cancellationToken) => RunAsync(Load(result, options), cancellationToken));
        return command;
    }

    /// <summary>The command line's explicit settings over the environment's over appsettings.json's.</summary>
    internal static RunOptions? Load(ParseResult result, IReadOnlyList<Option> options)
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

        return RunConfiguration.Load(commandLine, Environment.GetEnvironmentVariables(), Directory.GetCurrentDirectory());
    }

    private static async Task<int> RunAsync(RunOptions? options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = SvcproxyHost.Build(options!);
        }
        catch (Exception e) when (e is FormatException or DataDirectoryInUseException or IOException or UnauthorizedAccessException)
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
            await Console.Error.WriteLineAsync($"error: cannot serve the admin API on {options!.Admin}: {e.Message}");
            return 1;
        }
        finally
        {
            await app.DisposeAsync();
            _ = cancellationToken;
        }
    }
}

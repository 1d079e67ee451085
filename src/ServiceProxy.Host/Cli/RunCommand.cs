using System.CommandLine;
using Microsoft.Extensions.Options;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Host.Cli;

/// <summary>
/// <c>svcproxy run</c>: serve Services from manifests and the admin API until SIGTERM or Ctrl-C,
/// then drain. Every option is one of <see cref="RunSettings"/>: also from <c>SVCPROXY_*</c> and appsettings.json (<see cref="RunConfiguration"/>).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var options = RunSettings.All.Select(CreateOption).ToList();
        var config = new Option<string>("--config") { Description = $"JSON settings file (section {RunSettings.HostSection}). Default: appsettings.json beside the executable; the working directory is never read." };
        var command = new Command("run", "Serve Services: manifests, the data plane and the admin API.");
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.Options.Add(config);
        command.SetAction((result, cancellationToken) => RunAsync(() => Load(result, options, result.GetValue(config)), cancellationToken));
        return command;
    }

    /// <summary>The option of <paramref name="setting"/>, typed as the flag takes its value; its help ends with the default the options hold.</summary>
    internal static Option CreateOption(RunSetting setting)
    {
        string[] aliases = setting.Alias is null ? [] : [setting.Alias];
        var description = setting.Description + DefaultHelp(setting.Default);
        return setting switch
        {
            { IsList: true } => new Option<string[]>(setting.Flag, aliases) { Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false },
            { Microseconds: true } => new Option<int>(setting.Flag, aliases) { Description = description },
            _ when setting.ValueType == typeof(bool) => new Option<bool>(setting.Flag, aliases) { Description = description },
            _ when setting.ValueType == typeof(int) => new Option<int>(setting.Flag, aliases) { Description = description },
            _ => new Option<string>(setting.Flag, aliases) { Description = description },
        };
    }

    private static string DefaultHelp(object? value) => value switch
    {
        null or false or System.Collections.ICollection { Count: 0 } => string.Empty,
        true => " Default true.",
        System.IFormattable number => $" Default {number.ToString(null, System.Globalization.CultureInfo.InvariantCulture)}.",
        _ => $" Default {value}.",
    };

    /// <summary>
    /// The command line's explicit settings over the environment's over the settings file's: the one
    /// <paramref name="configFile"/> (or SVCPROXY_CONFIG) names, else appsettings.json beside the executable.
    /// </summary>
    internal static IConfiguration Load(ParseResult result, IReadOnlyList<Option> options, string? configFile)
    {
        var commandLine = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var option in options)
        {
            if (result.GetResult(option) is not { Implicit: false } given)
            {
                continue;
            }

            commandLine[option.Name] = given.GetValueOrDefault<object>() switch
            {
                string[] values => values,
                bool flag => [flag ? "true" : "false"],
                var value => [Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty],
            };
        }

        configFile ??= Environment.GetEnvironmentVariable(RunSettings.EnvironmentPrefix + "CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        return RunConfiguration.Load(commandLine, Environment.GetEnvironmentVariables(), configFile ?? RunConfiguration.DefaultConfigFile, required: configFile is not null);
    }

    private static async Task<int> RunAsync(Func<IConfiguration> load, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = SvcproxyHost.Build(load());
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures)
            {
                await Console.Error.WriteLineAsync("error: " + failure);
            }

            return 1;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or DataDirectoryInUseException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }

        // Read before running: RunAsync disposes the services when it ends, failed or not.
        var admin = app.Services.GetRequiredService<IOptions<RunOptions>>().Value.Admin;
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (IOException e)
        {
            // Kestrel could not bind the admin address (in use, not local).
            await Console.Error.WriteLineAsync($"error: cannot serve the admin API on {admin}: {e.Message}");
            return 1;
        }
        finally
        {
            await app.DisposeAsync();
            _ = cancellationToken;
        }
    }
}

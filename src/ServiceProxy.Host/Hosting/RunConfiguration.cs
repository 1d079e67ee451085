using System.Collections;
using Microsoft.Extensions.Configuration;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Builds the one configuration <c>svcproxy run</c> binds its options from, in layers: the options'
/// defaults, appsettings.json (every section: <c>Svcproxy</c> with each option by its flag's name,
/// <c>ServiceProxy</c> and <c>Registry</c> bound whole), then <c>SVCPROXY_*</c> environment
/// variables, then the command line; a later layer replaces a setting (a list as a whole). Each
/// option lands on its key in <see cref="RunSettings"/>.
/// </summary>
internal static class RunConfiguration
{
    /// <summary>
    /// appsettings.json beside the executable: the working directory is not read, since whoever
    /// can write there (a shared or downloaded directory) would otherwise configure the proxy.
    /// </summary>
    public static string DefaultConfigFile => Path.Combine(AppContext.BaseDirectory, "appsettings.json");

    /// <param name="commandLine">Settings given on the command line, by flag (<c>--node-port-range</c>).</param>
    /// <param name="environment">Environment variables (<see cref="Environment.GetEnvironmentVariables()"/>).</param>
    /// <param name="configFile">The JSON settings file (<see cref="DefaultConfigFile"/> unless <c>--config</c> names one); null: none.</param>
    /// <param name="required">The file was named explicitly, so it must exist.</param>
    /// <exception cref="FormatException">A value does not convert to its option's type, or a required file is missing; the message names the option.</exception>
    public static IConfiguration Load(IReadOnlyDictionary<string, IReadOnlyList<string>> commandLine, IDictionary environment, string? configFile, bool required = false)
    {
        var merged = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (configFile is not null)
        {
            ReadFile(merged, configFile, required);
        }

        foreach (var setting in RunSettings.All)
        {
            if (environment[setting.EnvironmentVariable] is string value)
            {
                Set(merged, setting, setting.IsList ? value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [value]);
            }
        }

        foreach (var setting in RunSettings.All)
        {
            if (commandLine.TryGetValue(setting.Flag, out var values))
            {
                Set(merged, setting, values);
            }
        }

        foreach (var setting in RunSettings.All)
        {
            foreach (var (key, value) in merged)
            {
                if (value is not null && (key.Equals(setting.Key, StringComparison.OrdinalIgnoreCase) || key.StartsWith(setting.Key + ":", StringComparison.OrdinalIgnoreCase)))
                {
                    setting.EnsureConverts(value);
                }
            }
        }

        return new ConfigurationBuilder().AddInMemoryCollection(merged).Build();
    }

    /// <summary>The file's keys as they are; then each option's <c>Svcproxy</c> key (named after its flag) over the key it maps to.</summary>
    private static void ReadFile(Dictionary<string, string?> merged, string configFile, bool required)
    {
        var path = Path.GetFullPath(configFile);
        if (required && !File.Exists(path))
        {
            throw new FormatException($"--config \"{configFile}\" does not exist");
        }

        var file = new ConfigurationBuilder().AddJsonFile(path, optional: !required, reloadOnChange: false).Build();
        foreach (var (key, value) in file.AsEnumerable())
        {
            if (value is not null)
            {
                merged[key] = value;
            }
        }

        foreach (var setting in RunSettings.All.Where(s => !s.FlagKey.Equals(s.Key, StringComparison.OrdinalIgnoreCase)))
        {
            var section = file.GetSection(setting.FlagKey);
            if (section.Value is { } single)
            {
                Set(merged, setting, [single]);
            }
            else if (section.GetChildren().Select(c => c.Value).OfType<string>().ToList() is { Count: > 0 } list)
            {
                Set(merged, setting, list);
            }

            Remove(merged, setting.FlagKey);
        }
    }

    private static void Set(Dictionary<string, string?> merged, RunSetting setting, IReadOnlyList<string> values)
    {
        Remove(merged, setting.Key);
        if (setting.IsList)
        {
            for (var i = 0; i < values.Count; i++)
            {
                merged[$"{setting.Key}:{i}"] = values[i];
            }
        }
        else if (values.Count > 0)
        {
            merged[setting.Key] = setting.ToConfigurationValue(values[^1]);
        }
    }

    private static void Remove(Dictionary<string, string?> merged, string key)
    {
        foreach (var existing in merged.Keys.Where(k => k.Equals(key, StringComparison.OrdinalIgnoreCase) || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            merged.Remove(existing);
        }
    }
}

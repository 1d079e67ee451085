using System.Collections;
using Microsoft.Extensions.Configuration;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Builds <see cref="RunOptions"/> from three layers: appsettings.json (section <c>Svcproxy</c>),
/// then <c>SVCPROXY_*</c> environment variables, then the command line; a later layer replaces a
/// setting (a list as a whole). Bound through Microsoft.Extensions.Configuration.
/// </summary>
internal static class RunConfiguration
{
    public const string Section = "Svcproxy";
    public const string EnvironmentPrefix = "SVCPROXY_";

    /// <summary>A setting: its property, the option that sets it on the command line, and whether it repeats.</summary>
    public sealed record Setting(string Property, string OptionName, bool IsList)
    {
        /// <summary><c>--node-port-range</c> → <c>SVCPROXY_NODE_PORT_RANGE</c>.</summary>
        public string EnvironmentVariable => EnvironmentPrefix + OptionName.TrimStart('-').ToUpperInvariant().Replace('-', '_');
    }

    public static IReadOnlyList<Setting> Settings { get; } =
    [
        new(nameof(RunOptions.Filename), "--filename", IsList: true),
        new(nameof(RunOptions.Watch), "--watch", IsList: false),
        new(nameof(RunOptions.NodeAddress), "--node-address", IsList: true),
        new(nameof(RunOptions.ServiceCidr), "--service-cidr", IsList: false),
        new(nameof(RunOptions.NodePortRange), "--node-port-range", IsList: false),
        new(nameof(RunOptions.Admin), "--admin", IsList: false),
        new(nameof(RunOptions.AdminToken), "--admin-token", IsList: false),
        new(nameof(RunOptions.DataDir), "--data-dir", IsList: false),
        new(nameof(RunOptions.LogLevel), "--log-level", IsList: false),
        new(nameof(RunOptions.LogFormat), "--log-format", IsList: false),
        new(nameof(RunOptions.AccessLog), "--access-log", IsList: false),
        new(nameof(RunOptions.TcpEngine), "--tcp-engine", IsList: false),
        new(nameof(RunOptions.BusyPollUs), "--busy-poll-us", IsList: false),
        new(nameof(RunOptions.EventLoops), "--event-loops", IsList: false),
        new(nameof(RunOptions.AcceptOnLoops), "--accept-on-loops", IsList: false),
        new(nameof(RunOptions.AdminTokenFile), "--admin-token-file", IsList: false),
        new(nameof(RunOptions.AdminTlsCert), "--admin-tls-cert", IsList: false),
        new(nameof(RunOptions.AdminTlsKey), "--admin-tls-key", IsList: false),
        new(nameof(RunOptions.AdminAllowedHosts), "--admin-allowed-hosts", IsList: true),
        new(nameof(RunOptions.AdminAllowedOrigins), "--admin-allowed-origins", IsList: true),
        new(nameof(RunOptions.MinRequestTimeout), "--min-request-timeout", IsList: false),
        new(nameof(RunOptions.MaxConnections), "--max-connections", IsList: false),
    ];

    /// <summary>
    /// appsettings.json beside the executable: the working directory is not read, since whoever
    /// can write there (a shared or downloaded directory) would otherwise configure the proxy.
    /// </summary>
    public static string DefaultConfigFile => Path.Combine(AppContext.BaseDirectory, "appsettings.json");

    /// <param name="commandLine">Settings given on the command line, by property name.</param>
    /// <param name="environment">Environment variables (<see cref="Environment.GetEnvironmentVariables()"/>).</param>
    /// <param name="configFile">The JSON settings file (<see cref="DefaultConfigFile"/> unless <c>--config</c> names one).</param>
    /// <param name="required">The file was named explicitly, so it must exist.</param>
    public static RunOptions Load(IReadOnlyDictionary<string, IReadOnlyList<string>> commandLine, IDictionary environment, string configFile, bool required = false)
    {
        var path = Path.GetFullPath(configFile);
        if (required && !File.Exists(path))
        {
            throw new FormatException($"--config \"{configFile}\" does not exist");
        }

        var merged = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var appsettings = new ConfigurationBuilder()
            .AddJsonFile(path, optional: !required, reloadOnChange: false)
            .Build()
            .GetSection(Section);
        foreach (var (key, value) in appsettings.AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                merged[key] = value;
            }
        }

        foreach (var setting in Settings)
        {
            if (environment[setting.EnvironmentVariable] is string value)
            {
                Set(merged, setting, setting.IsList ? value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [value]);
            }
        }

        foreach (var setting in Settings)
        {
            if (commandLine.TryGetValue(setting.Property, out var values))
            {
                Set(merged, setting, values);
            }
        }

        var options = new RunOptions();
        new ConfigurationBuilder().AddInMemoryCollection(merged).Build().Bind(options);
        return options;
    }

    private static void Set(Dictionary<string, string?> merged, Setting setting, IReadOnlyList<string> values)
    {
        foreach (var key in merged.Keys.Where(k => k.Equals(setting.Property, StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith(setting.Property + ":", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            merged.Remove(key);
        }

        if (setting.IsList)
        {
            for (var i = 0; i < values.Count; i++)
            {
                merged[$"{setting.Property}:{i}"] = values[i];
            }
        }
        else if (values.Count > 0)
        {
            merged[setting.Property] = values[^1];
        }
    }
}

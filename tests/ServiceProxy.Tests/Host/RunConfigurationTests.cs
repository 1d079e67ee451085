using System.Collections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ServiceProxy.Host.Hosting;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Host;

public sealed class RunConfigurationTests : IDisposable
{
    private static readonly Dictionary<string, IReadOnlyList<string>> NoCommandLine = [];

    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-config-").FullName;

    private string AppSettings => Path.Combine(_directory, "appsettings.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        using var run = Run.Bind(RunConfiguration.Load(NoCommandLine, new Hashtable(), AppSettings));

        Assert.Equal("127.0.0.1:8080", run.Host.Admin);
        Assert.Equal("127.100.0.0/16", run.Registry.Allocation.ServiceCidr);
        Assert.Equal(new PortRange(30000, 32767), PortRange.Parse(run.Registry.Allocation.NodePortRange));
        Assert.Empty(run.Host.Filename);
        Assert.False(run.Host.Watch);
        Assert.Contains(System.Net.IPAddress.Loopback, run.Registry.NodeAddresses);
        Assert.True(run.DataPlane.Tcp.AcceptOnEventLoops);
        Assert.Equal(TimeSpan.Zero, run.DataPlane.EventLoops.BusyPoll);
    }

    [Fact]
    public void Accepting_on_the_loops_is_turned_off_by_the_environment_or_the_command_line()
    {
        var off = new Hashtable { ["SVCPROXY_ACCEPT_ON_LOOPS"] = "false" };
        using (var run = Run.Bind(RunConfiguration.Load(NoCommandLine, off, AppSettings)))
        {
            Assert.False(run.DataPlane.Tcp.AcceptOnEventLoops);
        }

        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["--accept-on-loops"] = ["false"] };
        using (var run = Run.Bind(RunConfiguration.Load(commandLine, new Hashtable(), AppSettings)))
        {
            Assert.False(run.DataPlane.Tcp.AcceptOnEventLoops);
        }
    }

    [Fact]
    public void Max_connections_comes_from_appsettings_the_environment_or_the_command_line_and_defaults_to_derived()
    {
        Assert.Equal(0, MaxConnections(NoCommandLine, new Hashtable()));
        File.WriteAllText(AppSettings, """{ "Svcproxy": { "MaxConnections": 1000 } }""");
        Assert.Equal(1000, MaxConnections(NoCommandLine, new Hashtable()));

        var environment = new Hashtable { ["SVCPROXY_MAX_CONNECTIONS"] = "2000" };
        Assert.Equal(2000, MaxConnections(NoCommandLine, environment));

        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["--max-connections"] = ["3000"] };
        Assert.Equal(3000, MaxConnections(commandLine, environment));
    }

    [Fact]
    public void Command_line_wins_over_environment_which_wins_over_appsettings()
    {
        File.WriteAllText(AppSettings, """
            { "Svcproxy": { "Admin": "127.0.0.1:1111", "NodePortRange": "31000-31999", "ServiceCidr": "127.50.0.0/16",
                            "Filename": ["a.yaml", "b.yaml"], "AccessLog": true, "LogLevel": "Debug" } }
            """);
        var environment = new Hashtable
        {
            ["SVCPROXY_ADMIN"] = "127.0.0.1:2222",
            ["SVCPROXY_NODE_PORT_RANGE"] = "32000-32100",
            ["SVCPROXY_FILENAME"] = "c.yaml",
            ["SVCPROXY_WATCH"] = "true",
        };
        var commandLine = new Dictionary<string, IReadOnlyList<string>>
        {
            ["--admin"] = ["127.0.0.1:3333"],
            ["--node-address"] = ["127.0.0.1", "::1"],
        };

        using var run = Run.Bind(RunConfiguration.Load(commandLine, environment, AppSettings));

        Assert.Equal("127.0.0.1:3333", run.Host.Admin); // command line over env over appsettings
        Assert.Equal(new PortRange(32000, 32100), PortRange.Parse(run.Registry.Allocation.NodePortRange)); // env over appsettings
        Assert.Equal("127.50.0.0/16", run.Registry.Allocation.ServiceCidr); // appsettings only
        Assert.Equal(["c.yaml"], run.Host.Filename); // a list is replaced as a whole
        Assert.True(run.Host.Watch);
        Assert.True(run.DataPlane.AccessLog);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, run.Host.MinimumLevel);
        Assert.Equal(["127.0.0.1", "::1"], run.Registry.NodeAddresses.Select(a => a.ToString()));
    }

    [Fact]
    public void Option_keys_bind_every_property_of_their_section_and_an_option_wins_over_its_key()
    {
        File.WriteAllText(AppSettings, """
            { "ServiceProxy": { "Tcp": { "IdleTimeout": "00:10:00", "Engine": "Pipelines" }, "EventLoops": { "BusyPoll": "00:00:00.0001" }, "Udp": { "MaxSessionsPerPort": 10 } },
              "Registry": { "WatchHistorySize": 50, "Allocation": { "NodePortRange": "31000-31010" } },
              "Svcproxy": { "EventLoops": 3 } }
            """);
        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["--tcp-engine"] = ["socket"] };

        using var run = Run.Bind(RunConfiguration.Load(commandLine, new Hashtable(), AppSettings));

        Assert.Equal(TimeSpan.FromMinutes(10), run.DataPlane.Tcp.IdleTimeout);
        Assert.Equal(10, run.DataPlane.Udp.MaxSessionsPerPort);
        Assert.Equal(ServiceProxy.Tcp.RelayEngine.Socket, run.DataPlane.Tcp.Engine);
        Assert.Equal(TimeSpan.FromMicroseconds(100), run.DataPlane.EventLoops.BusyPoll);
        Assert.Equal(3, run.DataPlane.EventLoops.Count);
        Assert.Equal(50, run.Registry.WatchHistorySize);
        Assert.Equal("31000-31010", run.Registry.Allocation.NodePortRange);
    }

    [Fact]
    public void Busy_poll_is_given_in_microseconds_by_the_flag_the_environment_and_its_appsettings_name()
    {
        File.WriteAllText(AppSettings, """{ "Svcproxy": { "BusyPollUs": 7 } }""");
        using (var run = Run.Bind(RunConfiguration.Load(NoCommandLine, new Hashtable(), AppSettings)))
        {
            Assert.Equal(TimeSpan.FromMicroseconds(7), run.DataPlane.EventLoops.BusyPoll);
        }

        using (var run = Run.Bind(RunConfiguration.Load(NoCommandLine, new Hashtable { ["SVCPROXY_BUSY_POLL_US"] = "0" }, AppSettings)))
        {
            Assert.Equal(TimeSpan.Zero, run.DataPlane.EventLoops.BusyPoll);
        }

        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["--busy-poll-us"] = ["1000000"] };
        using (var run = Run.Bind(RunConfiguration.Load(commandLine, new Hashtable(), AppSettings)))
        {
            Assert.Equal(TimeSpan.FromSeconds(1), run.DataPlane.EventLoops.BusyPoll);
        }
    }

    [Theory]
    [InlineData("--admin", "0.0.0.0:8080", "--admin-token")]
    [InlineData("--admin", "nonsense", "--admin")]
    [InlineData("--node-port-range", "32767-30000", "--node-port-range")]
    [InlineData("--service-cidr", "bogus", "--service-cidr")]
    [InlineData("--service-cidr", "10.0.0.0/8", "--service-cidr")]
    [InlineData("--loadbalancer-pool", "bogus", "--loadbalancer-pool: invalid load-balancer pool \"bogus\"")]
    [InlineData("--loadbalancer-pool", "127.100.7.0/24", "--loadbalancer-pool: \"127.100.7.0/24\" overlaps the service CIDR 127.100.0.0/16")]
    [InlineData("--log-format", "xml", "--log-format")]
    [InlineData("--log-level", "loud", "--log-level")]
    [InlineData("--node-address", "not-an-ip", "--node-address")]
    [InlineData("--tcp-engine", "fast", "--tcp-engine")]
    [InlineData("--tcp-engine", "7", "--tcp-engine")]
    [InlineData("--busy-poll-us", "-1", "--busy-poll-us")]
    [InlineData("--busy-poll-us", "a lot", "--busy-poll-us")]
    [InlineData("--event-loops", "-2", "--event-loops")]
    [InlineData("--event-loops", "many", "--event-loops")]
    [InlineData("--admin-token", "s3cret", "--admin-token")]
    [InlineData("--admin-token", "0123456789abcde", "16 bytes")]
    [InlineData("--admin-token-file", "/nonexistent/token", "--admin-token-file")]
    [InlineData("--admin-tls-cert", "/nonexistent/tls.crt", "--admin-tls-key")]
    [InlineData("--admin-tls-key", "/nonexistent/tls.key", "--admin-tls-cert")]
    [InlineData("--min-request-timeout", "0", "--min-request-timeout")]
    [InlineData("--max-connections", "-1", "--max-connections")]
    [InlineData("--watch", "maybe", "--watch")]
    public void Invalid_settings_are_refused_with_the_option_named(string flag, string value, string mentioned)
    {
        var error = Run.Error(() => RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>> { [flag] = [value] }, new Hashtable(), AppSettings));

        Assert.Contains(mentioned, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_busy_poll_is_refused_in_the_unit_it_was_given()
    {
        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["--busy-poll-us"] = ["2000000"] };

        var error = Run.Error(() => RunConfiguration.Load(commandLine, new Hashtable(), AppSettings));

        Assert.Equal("--busy-poll-us 2000000 is not within 0-1000000", error);
    }

    [Fact]
    public void Every_wrong_setting_is_reported_at_once()
    {
        var commandLine = new Dictionary<string, IReadOnlyList<string>>
        {
            ["--busy-poll-us"] = ["2000000"],
            ["--service-cidr"] = ["bogus"],
            ["--event-loops"] = ["-1"],
        };

        var error = Run.Error(() => RunConfiguration.Load(commandLine, new Hashtable(), AppSettings));

        Assert.Contains("--busy-poll-us 2000000 is not within 0-1000000", error, StringComparison.Ordinal);
        Assert.Contains("--service-cidr: invalid service CIDR \"bogus\"", error, StringComparison.Ordinal);
        Assert.Contains("--event-loops -1 is not within 0-1024", error, StringComparison.Ordinal);

        var host = Run.Error(() => RunConfiguration.Load(
            new Dictionary<string, IReadOnlyList<string>> { ["--log-format"] = ["xml"], ["--min-request-timeout"] = ["0"] }, new Hashtable(), AppSettings));
        Assert.Contains("--log-format \"xml\" is not text or json", host, StringComparison.Ordinal);
        Assert.Contains("--min-request-timeout 0 is not within 1-86400 seconds", host, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_from_the_environment_that_does_not_convert_names_the_option()
    {
        var error = Run.Error(() => RunConfiguration.Load(NoCommandLine, new Hashtable { ["SVCPROXY_EVENT_LOOPS"] = "many" }, AppSettings));

        Assert.Equal("--event-loops \"many\" is not a whole number", error);
    }

    [Theory]
    [InlineData(null, ServiceProxy.Tcp.RelayEngine.IoUring)]
    [InlineData("splice", ServiceProxy.Tcp.RelayEngine.Splice)]
    [InlineData("socket", ServiceProxy.Tcp.RelayEngine.Socket)]
    [InlineData("Pipelines", ServiceProxy.Tcp.RelayEngine.Pipelines)]
    [InlineData("iouring", ServiceProxy.Tcp.RelayEngine.IoUring)]
    public void The_tcp_engine_defaults_to_io_uring_and_is_chosen_by_name(string? value, ServiceProxy.Tcp.RelayEngine expected)
    {
        var commandLine = value is null ? NoCommandLine : new() { ["--tcp-engine"] = [value] };
        using var run = Run.Bind(RunConfiguration.Load(commandLine, new Hashtable(), AppSettings));

        Assert.Equal(expected, run.DataPlane.Tcp.Engine);
    }

    [Fact]
    public void A_non_loopback_admin_address_is_accepted_with_a_token()
    {
        using var run = Run.Bind(RunConfiguration.Load(
            new Dictionary<string, IReadOnlyList<string>> { ["--admin"] = ["0.0.0.0:8080"], ["--admin-token"] = ["0123456789abcdef"] }, new Hashtable(), AppSettings));

        Assert.Equal("0123456789abcdef", run.Credentials.Token);
    }

    [Fact]
    public void Environment_variable_names_follow_the_option_names()
    {
        Assert.Equal(
            ["SVCPROXY_FILENAME", "SVCPROXY_WATCH", "SVCPROXY_NODE_ADDRESS", "SVCPROXY_SERVICE_CIDR", "SVCPROXY_CLUSTER_CIDR", "SVCPROXY_PROXY_SHARD", "SVCPROXY_NODE_PORT_RANGE", "SVCPROXY_ADMIN",
             "SVCPROXY_ADMIN_TOKEN", "SVCPROXY_DATA_DIR", "SVCPROXY_LOG_LEVEL", "SVCPROXY_LOG_FORMAT", "SVCPROXY_ACCESS_LOG", "SVCPROXY_TCP_ENGINE",
             "SVCPROXY_BUSY_POLL_US", "SVCPROXY_EVENT_LOOPS", "SVCPROXY_ACCEPT_ON_LOOPS", "SVCPROXY_ADMIN_TOKEN_FILE", "SVCPROXY_ADMIN_TLS_CERT",
             "SVCPROXY_ADMIN_TLS_KEY", "SVCPROXY_ADMIN_ALLOWED_HOSTS", "SVCPROXY_ADMIN_ALLOWED_ORIGINS", "SVCPROXY_MIN_REQUEST_TIMEOUT",
             "SVCPROXY_MAX_CONNECTIONS", "SVCPROXY_LOADBALANCER_POOL",
             "SVCPROXY_DNS", "SVCPROXY_CLUSTER_DOMAIN", "SVCPROXY_DNS_TTL", "SVCPROXY_DNS_UPSTREAM", "SVCPROXY_DNS_FORWARD",
             "SVCPROXY_SERVICE_CIDR_ROUTE", "SVCPROXY_NODE_NAME", "SVCPROXY_NODE_LEASE_RENEW_INTERVAL",
             "SVCPROXY_NODE_MONITOR_GRACE_PERIOD", "SVCPROXY_ROLES", "SVCPROXY_LEADER_ELECT_LEASE_DURATION", "SVCPROXY_LEADER_ELECT_RENEW_DEADLINE",
             "SVCPROXY_EVENT_TTL", "SVCPROXY_ETCD_SERVERS", "SVCPROXY_ETCD_PREFIX", "SVCPROXY_ETCD_CAFILE",
             "SVCPROXY_ETCD_CERTFILE", "SVCPROXY_ETCD_KEYFILE",
             "SVCPROXY_KUBECONFIG", "SVCPROXY_MASTER", "SVCPROXY_TOKEN_FILE", "SVCPROXY_REMOTE_API_STALE_AFTER", "SVCPROXY_REMOTE_API_MAX_BACKOFF"],
            RunSettings.All.Select(s => s.EnvironmentVariable));
    }

    [Fact]
    public void Appsettings_names_follow_the_option_names_and_host_settings_are_bound_by_them()
    {
        Assert.Equal("Svcproxy:NodePortRange", RunSettings.Get("--node-port-range").FlagKey);
        Assert.Equal("Svcproxy:BusyPollUs", RunSettings.Get("--busy-poll-us").FlagKey);
        foreach (var setting in RunSettings.All.Where(s => s.Key.StartsWith(RunSettings.HostSection + ":", StringComparison.Ordinal)))
        {
            Assert.Equal(setting.FlagKey, setting.Key);
        }
    }

    [Fact]
    public void Every_option_sets_a_property_of_its_section()
    {
        foreach (var setting in RunSettings.All)
        {
            Assert.NotNull(setting.Property);
        }

        Assert.Equal(RunSettings.All.Count, RunSettings.All.Select(s => s.Flag).Distinct().Count());
        Assert.Equal(RunSettings.All.Count, RunSettings.All.Select(s => s.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void The_help_shows_the_default_the_options_hold()
    {
        var help = ServiceProxy.Host.Cli.RunCommand.CreateOption(RunSettings.Get("--node-port-range")).Description;
        Assert.EndsWith($"Default {new AllocationOptions().NodePortRange}.", help, StringComparison.Ordinal);
        Assert.EndsWith($"Default {new RunOptions().MinRequestTimeout}.", ServiceProxy.Host.Cli.RunCommand.CreateOption(RunSettings.Get("--min-request-timeout")).Description, StringComparison.Ordinal);
        Assert.EndsWith("Default iouring.", ServiceProxy.Host.Cli.RunCommand.CreateOption(RunSettings.Get("--tcp-engine")).Description, StringComparison.Ordinal);
        Assert.EndsWith("Default 0.", ServiceProxy.Host.Cli.RunCommand.CreateOption(RunSettings.Get("--busy-poll-us")).Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_file_gives_the_token_without_its_trailing_newline()
    {
        var file = Path.Combine(_directory, "token");
        File.WriteAllText(file, "0123456789abcdef-from-file\n");

        using var run = Run.Bind(RunConfiguration.Load(NoCommandLine, new Hashtable { ["SVCPROXY_ADMIN_TOKEN_FILE"] = file }, AppSettings));

        Assert.Equal("0123456789abcdef-from-file", run.Credentials.Token);
    }

    [Fact]
    public void A_short_token_in_a_file_is_refused_naming_the_file_option()
    {
        var file = Path.Combine(_directory, "token");
        File.WriteAllText(file, "short\n");

        var error = Run.Error(() => RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>> { ["--admin-token-file"] = [file] }, new Hashtable(), AppSettings));

        Assert.Contains("--admin-token-file", error, StringComparison.Ordinal);
        Assert.Contains("16 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_and_a_token_file_together_are_refused()
    {
        var file = Path.Combine(_directory, "token");
        File.WriteAllText(file, "0123456789abcdef");

        var error = Run.Error(() => RunConfiguration.Load(
            new Dictionary<string, IReadOnlyList<string>> { ["--admin-token-file"] = [file], ["--admin-token"] = ["0123456789abcdef"] }, new Hashtable(), AppSettings));

        Assert.Contains("--admin-token-file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_config_file_is_read_and_must_exist()
    {
        var file = Path.Combine(_directory, "svcproxy.json");
        File.WriteAllText(file, """{ "Svcproxy": { "NodePortRange": "31000-31999", "MinRequestTimeout": 60 } }""");

        using var run = Run.Bind(RunConfiguration.Load(NoCommandLine, new Hashtable(), file, required: true));

        Assert.Equal(new PortRange(31000, 31999), PortRange.Parse(run.Registry.Allocation.NodePortRange));
        Assert.Equal(60, run.Host.MinRequestTimeout);
        var missing = Assert.Throws<FormatException>(() =>
            RunConfiguration.Load(NoCommandLine, new Hashtable(), Path.Combine(_directory, "missing.json"), required: true));
        Assert.Contains("--config", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_config_appsettings_json_comes_from_the_executables_directory()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), RunConfiguration.DefaultConfigFile);
    }

    private int MaxConnections(Dictionary<string, IReadOnlyList<string>> commandLine, Hashtable environment)
    {
        using var run = Run.Bind(RunConfiguration.Load(commandLine, environment, AppSettings));
        return run.DataPlane.MaxConnections;
    }

    /// <summary>The options <c>run</c> binds from a configuration, through the host's own registrations and checks.</summary>
    private sealed class Run(ServiceProvider provider) : IDisposable
    {
        public RunOptions Host => provider.GetRequiredService<IOptions<RunOptions>>().Value;

        public ServiceProxyOptions DataPlane => provider.GetRequiredService<IOptions<ServiceProxyOptions>>().Value;

        public RegistryOptions Registry => provider.GetRequiredService<IOptions<RegistryOptions>>().Value;

        public AdminCredentials Credentials => provider.GetRequiredService<AdminCredentials>();

        public static Run Bind(IConfiguration configuration)
        {
            var services = new ServiceCollection();
            SvcproxyHost.AddRunServices(services, configuration);
            var provider = services.BuildServiceProvider();
            try
            {
                SvcproxyHost.ValidateOptions(provider);
            }
            catch
            {
                provider.Dispose();
                throw;
            }

            return new Run(provider);
        }

        /// <summary>What stops <c>run</c>: a value that does not convert, or a check at start.</summary>
        public static string Error(Func<IConfiguration> load)
        {
            try
            {
                using var run = Bind(load());
            }
            catch (FormatException e)
            {
                return e.Message;
            }
            catch (OptionsValidationException e)
            {
                return string.Join("; ", e.Failures);
            }

            throw new Xunit.Sdk.XunitException("the settings were accepted");
        }

        public void Dispose() => provider.Dispose();
    }
}

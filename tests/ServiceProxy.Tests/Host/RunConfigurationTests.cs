using System.Collections;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Tests.Host;

public sealed class RunConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-config-").FullName;

    private string AppSettings => Path.Combine(_directory, "appsettings.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        var options = RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), new Hashtable(), AppSettings);

        Assert.Equal("127.0.0.1:8080", options.Admin);
        Assert.Equal("127.100.0.0/16", options.ServiceCidr);
        Assert.Equal((30000, 32767), options.NodePorts);
        Assert.Empty(options.Filename);
        Assert.False(options.Watch);
        Assert.Contains(System.Net.IPAddress.Loopback, options.NodeAddresses);
        Assert.True(options.AcceptOnLoops);
        Assert.Equal(50, options.BusyPollUs);
    }

    [Fact]
    public void Accepting_on_the_loops_is_turned_off_by_the_environment_or_the_command_line()
    {
        var off = new Hashtable { ["SVCPROXY_ACCEPT_ON_LOOPS"] = "false" };
        Assert.False(RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), off, AppSettings).AcceptOnLoops);

        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["AcceptOnLoops"] = ["false"] };
        Assert.False(RunConfiguration.Load(commandLine, new Hashtable(), AppSettings).AcceptOnLoops);
    }

    [Fact]
    public void Max_connections_comes_from_appsettings_the_environment_or_the_command_line_and_defaults_to_derived()
    {
        Assert.Equal(0, RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), new Hashtable(), AppSettings).MaxConnections);
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """{ "Svcproxy": { "MaxConnections": 1000 } }""");
        Assert.Equal(1000, RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), new Hashtable(), AppSettings).MaxConnections);

        var environment = new Hashtable { ["SVCPROXY_MAX_CONNECTIONS"] = "2000" };
        Assert.Equal(2000, RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), environment, AppSettings).MaxConnections);

        var commandLine = new Dictionary<string, IReadOnlyList<string>> { ["MaxConnections"] = ["3000"] };
        Assert.Equal(3000, RunConfiguration.Load(commandLine, environment, AppSettings).MaxConnections);
    }

    [Fact]
    public void Command_line_wins_over_environment_which_wins_over_appsettings()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """
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
            ["Admin"] = ["127.0.0.1:3333"],
            ["NodeAddress"] = ["127.0.0.1", "::1"],
        };

        var options = RunConfiguration.Load(commandLine, environment, AppSettings);

        Assert.Equal("127.0.0.1:3333", options.Admin); // command line over env over appsettings
        Assert.Equal((32000, 32100), options.NodePorts); // env over appsettings
        Assert.Equal("127.50.0.0/16", options.ServiceCidr); // appsettings only
        Assert.Equal(["c.yaml"], options.Filename); // a list is replaced as a whole
        Assert.True(options.Watch);
        Assert.True(options.AccessLog);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, options.MinimumLevel);
        Assert.Equal(["127.0.0.1", "::1"], options.NodeAddresses.Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("Admin", "0.0.0.0:8080", "--admin-token")]
    [InlineData("Admin", "nonsense", "--admin")]
    [InlineData("NodePortRange", "32767-30000", "--node-port-range")]
    [InlineData("LogFormat", "xml", "--log-format")]
    [InlineData("NodeAddress", "not-an-ip", "--node-address")]
    [InlineData("TcpEngine", "fast", "--tcp-engine")]
    [InlineData("TcpEngine", "7", "--tcp-engine")]
    [InlineData("BusyPollUs", "-1", "--busy-poll-us")]
    [InlineData("EventLoops", "-2", "--event-loops")]
    [InlineData("AdminToken", "s3cret", "--admin-token")]
    [InlineData("AdminToken", "0123456789abcde", "16 bytes")]
    [InlineData("AdminTokenFile", "/nonexistent/token", "--admin-token-file")]
    [InlineData("AdminTlsCert", "/nonexistent/tls.crt", "--admin-tls-key")]
    [InlineData("AdminTlsKey", "/nonexistent/tls.key", "--admin-tls-cert")]
    [InlineData("MinRequestTimeout", "0", "--min-request-timeout")]
    [InlineData("MaxConnections", "-1", "--max-connections")]
    public void Invalid_settings_are_refused_with_the_option_named(string property, string value, string mentioned)
    {
        var options = RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>> { [property] = [value] }, new Hashtable(), AppSettings);

        var error = Assert.Throws<FormatException>(options.Validate);
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ServiceProxy.Tcp.RelayEngine.Splice)]
    [InlineData("socket", ServiceProxy.Tcp.RelayEngine.Socket)]
    [InlineData("Pipelines", ServiceProxy.Tcp.RelayEngine.Pipelines)]
    public void The_tcp_engine_defaults_to_splice_and_is_chosen_by_name(string? value, ServiceProxy.Tcp.RelayEngine expected)
    {
        var commandLine = value is null ? new Dictionary<string, IReadOnlyList<string>>() : new() { ["TcpEngine"] = [value] };
        var options = RunConfiguration.Load(commandLine, new Hashtable(), AppSettings);

        Assert.Equal(expected, options.RelayEngine);
    }

    [Fact]
    public void A_non_loopback_admin_address_is_accepted_with_a_token()
    {
        var options = RunConfiguration.Load(
            new Dictionary<string, IReadOnlyList<string>> { ["Admin"] = ["0.0.0.0:8080"], ["AdminToken"] = ["0123456789abcdef"] }, new Hashtable(), AppSettings);

        options.Validate();
    }

    [Fact]
    public void Environment_variable_names_follow_the_option_names()
    {
        Assert.Equal(
            ["SVCPROXY_FILENAME", "SVCPROXY_WATCH", "SVCPROXY_NODE_ADDRESS", "SVCPROXY_SERVICE_CIDR", "SVCPROXY_NODE_PORT_RANGE", "SVCPROXY_ADMIN",
             "SVCPROXY_ADMIN_TOKEN", "SVCPROXY_DATA_DIR", "SVCPROXY_LOG_LEVEL", "SVCPROXY_LOG_FORMAT", "SVCPROXY_ACCESS_LOG", "SVCPROXY_TCP_ENGINE",
             "SVCPROXY_BUSY_POLL_US", "SVCPROXY_EVENT_LOOPS", "SVCPROXY_ACCEPT_ON_LOOPS", "SVCPROXY_ADMIN_TOKEN_FILE", "SVCPROXY_ADMIN_TLS_CERT",
             "SVCPROXY_ADMIN_TLS_KEY", "SVCPROXY_ADMIN_ALLOWED_HOSTS", "SVCPROXY_ADMIN_ALLOWED_ORIGINS", "SVCPROXY_MIN_REQUEST_TIMEOUT",
             "SVCPROXY_MAX_CONNECTIONS"],
            RunConfiguration.Settings.Select(s => s.EnvironmentVariable));
    }

    [Fact]
    public void A_token_file_gives_the_token_without_its_trailing_newline()
    {
        var file = Path.Combine(_directory, "token");
        File.WriteAllText(file, "0123456789abcdef-from-file\n");
        var options = RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), new Hashtable { ["SVCPROXY_ADMIN_TOKEN_FILE"] = file }, AppSettings);

        options.Validate();

        Assert.Equal("0123456789abcdef-from-file", options.ResolvedAdminToken);
    }

    [Fact]
    public void A_short_token_in_a_file_is_refused_naming_the_file_option()
    {
        var file = Path.Combine(_directory, "token");
        File.WriteAllText(file, "short\n");
        var options = RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>> { ["AdminTokenFile"] = [file] }, new Hashtable(), AppSettings);

        var error = Assert.Throws<FormatException>(options.Validate);

        Assert.Contains("--admin-token-file", error.Message, StringComparison.Ordinal);
        Assert.Contains("16 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_and_a_token_file_together_are_refused()
    {
        var file = Path.Combine(_directory, "token");
        File.WriteAllText(file, "0123456789abcdef");
        var options = RunConfiguration.Load(
            new Dictionary<string, IReadOnlyList<string>> { ["AdminTokenFile"] = [file], ["AdminToken"] = ["0123456789abcdef"] }, new Hashtable(), AppSettings);

        var error = Assert.Throws<FormatException>(options.Validate);

        Assert.Contains("--admin-token-file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_config_file_is_read_and_must_exist()
    {
        var file = Path.Combine(_directory, "svcproxy.json");
        File.WriteAllText(file, """{ "Svcproxy": { "NodePortRange": "31000-31999", "MinRequestTimeout": 60 } }""");

        var options = RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), new Hashtable(), file, required: true);

        Assert.Equal((31000, 31999), options.NodePorts);
        Assert.Equal(60, options.MinRequestTimeout);
        var missing = Assert.Throws<FormatException>(() =>
            RunConfiguration.Load(new Dictionary<string, IReadOnlyList<string>>(), new Hashtable(), Path.Combine(_directory, "missing.json"), required: true));
        Assert.Contains("--config", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_config_appsettings_json_comes_from_the_executables_directory()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), RunConfiguration.DefaultConfigFile);
    }
}

using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ServiceProxy.Dns;
using ServiceProxy.Host.Admin;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes;
using ServiceProxy.Kubernetes.Dns;
using ServiceProxy.Kubernetes.HealthChecks;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// The <c>svcproxy run</c> process: the registry (with <c>--data-dir</c> persistence), the endpoints
/// controller, manifests (with <c>--watch</c>), the data plane fed by registry snapshots, and the
/// admin API on Kestrel, every setting bound from one configuration (<see cref="RunConfiguration"/>).
/// Start order: persisted objects, manifests, the endpoints controller, data plane, then the API, so
/// the API never serves a half-loaded state.
/// </summary>
internal static partial class SvcproxyHost
{
    /// <exception cref="FormatException">A setting is wrong; the message names its option.</exception>
    /// <exception cref="DataDirectoryInUseException">Another process holds <c>--data-dir</c>.</exception>
    public static WebApplication Build(IConfiguration configuration)
    {
        // Every check first, on a container of the options alone: a wrong setting stops run with all
        // its failures before anything (logging, Kestrel, the data directory's lock) reads the options.
        var check = new ServiceCollection();
        AddRunServices(check, configuration);
        using (var options = check.BuildServiceProvider())
        {
            ValidateOptions(options);
        }

        DescriptorLimit.RaiseSoftToHard();
        // Not the working directory: an appsettings.json there must not configure Kestrel or logging.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging);
        var servesApi = HasRole(configuration, "api");
        var follows = FollowsRemoteApi(configuration);
        if (!servesApi && !follows)
        {
            // Without the api role nothing listens: Kestrel would otherwise bind its default address.
            builder.Services.AddSingleton<IServer, NoServer>();
        }

        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RunOptions>, AdminCredentials>((kestrel, options, credentials) =>
        {
            kestrel.Listen(options.Value.AdminEndPoint, listen =>
            {
                if (credentials.Certificate is { } certificate)
                {
                    listen.UseHttps(certificate);
                }
            });
            kestrel.Limits.MaxConcurrentConnections = AdminLimits.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = AdminLimits.MaxUpgradedConnections;
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
            kestrel.AddServerHeader = false;
        });
        AddRunServices(builder.Services, configuration);

        var app = builder.Build();
        try
        {
            // Locked now, so a second process on the same directory stops before it touches anything.
            _ = app.Services.GetRequiredService<PersistenceSource>();
            if (!servesApi && !follows)
            {
                return app;
            }

            if (servesApi)
            {
                app.MapAdminApi();
            }
            else
            {
                // A node following a remote API serves its probes and metrics, as kube-proxy does.
                app.MapNodeHealthApi();
            }

            var options = app.Services.GetRequiredService<IOptions<RunOptions>>().Value;
            var credentials = app.Services.GetRequiredService<AdminCredentials>();
            if (!IPAddress.IsLoopback(options.AdminEndPoint.Address) && credentials.Certificate is null)
            {
                LogAdminWithoutTls(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SvcproxyHost)), options.Admin);
            }

            AdminWarmUp.Register(app, credentials.Token, credentials.Certificate);
            return app;
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
    }

    /// <summary>
    /// Everything <c>run</c> registers besides Kestrel and logging: <see cref="RunOptions"/>,
    /// <see cref="ServiceProxyOptions"/> and <see cref="RegistryOptions"/> bound from
    /// <paramref name="configuration"/>'s sections and checked at start, then the hosted services in
    /// start order.
    /// </summary>
    public static void AddRunServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RunOptions>().Bind(configuration.GetSection(RunSettings.HostSection)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RunOptions>, RunOptionsValidator>();
        services.AddSingleton<IValidateOptions<RunOptions>, RunSettingsValidator<RunOptions>>();
        services.AddOptions<ServiceProxyOptions>().ValidateOnStart()
            .Configure<IOptions<RunOptions>, IOptions<RegistryOptions>>((proxy, run, registry) =>
            {
                if (run.Value.ServiceCidrRoute)
                {
                    // The service ranges become local routes, so every cluster IP of either family binds.
                    foreach (var cidr in registry.Value.Allocation.ServiceCidr.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        proxy.LocalRoutes.Add(cidr);
                    }
                }
            });
        services.AddSingleton<IValidateOptions<ServiceProxyOptions>, RunSettingsValidator<ServiceProxyOptions>>();
        services.AddOptions<RegistryOptions>().ValidateOnStart()
            .Configure<IOptions<RunOptions>>((registry, run) =>
            {
                registry.NodeAddresses = [.. run.Value.NodeAddresses];
                registry.Node.Name = run.Value.NodeName ?? Environment.MachineName.ToLowerInvariant();
                registry.Events.Host ??= registry.Node.Name;
                registry.Node.Version ??= "v" + Cli.VersionCommand.Version;
                registry.Node.Roles = NodeRoles(run.Value);
                registry.RunControllers = RunsControllers(run.Value);
            });
        services.AddOptions<RegistryOptions>().Configure<IOptions<DnsServerOptions>>((registry, dns) =>
        {
            // The apex's NS record names the server that answers it, as kube-dns's ClusterIP.
            if (registry.Dns.NameServers.Count == 0 && IPEndPoint.TryParse(dns.Value.EndPoint ?? string.Empty, out var served))
            {
                registry.Dns.NameServers.Add(served.Address.ToString());
            }
        });
        services.AddSingleton<IValidateOptions<RegistryOptions>, RunSettingsValidator<RegistryOptions>>();
        services.AddSingleton(sp => AdminCredentials.Load(sp.GetRequiredService<IOptions<RunOptions>>().Value));

        // Connections drain for up to ShutdownDrainTimeout on SIGTERM/Ctrl-C; the host must wait that long.
        services.AddOptions<HostOptions>().Configure<IOptions<ServiceProxyOptions>>((host, proxy) => host.ShutdownTimeout = proxy.Value.ShutdownDrainTimeout + TimeSpan.FromSeconds(5));
        services.AddAdminApi(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RunOptions>>().Value;
            return new AdminApiOptions
            {
                Token = sp.GetRequiredService<AdminCredentials>().Token,
                EndPoint = options.AdminEndPoint,
                AllowedHosts = options.AdminAllowedHosts,
                AllowedOrigins = options.AdminAllowedOrigins,
                MinRequestTimeout = TimeSpan.FromSeconds(options.MinRequestTimeout),
            };
        });

        services.AddSingleton(sp => new PersistenceSource(sp.GetRequiredService<IOptions<RunOptions>>().Value.DataDir is { } path ? DataDirectory.Open(path) : null));
        services.AddSingleton<IObjectPersistence>(sp => sp.GetRequiredService<PersistenceSource>());

        // Persisted API objects first, then the manifests, the endpoints controller, the data plane,
        // then Kestrel (started last by WebApplication).
        services.AddHostedService<PersistenceLoader>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RunOptions>>().Value;
            return new ManifestSyncOptions { Paths = options.Filename, Watch = options.Watch };
        });
        services.AddHostedService<ManifestSync>();
        services.AddServiceProxyRegistry(configuration.GetSection(RunSettings.RegistrySection));
        services.AddOptions<RemoteApiOptions>().Bind(configuration.GetSection(RunSettings.RemoteApiSection)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RemoteApiOptions>, RemoteApiOptionsValidator>();
        services.AddSingleton<IValidateOptions<RemoteApiOptions>, RunSettingsValidator<RemoteApiOptions>>();
        if (FollowsRemoteApi(configuration))
        {
            services.AddSingleton<RemoteApiClient>();
            services.AddSingleton(sp => new RemoteApiStatus(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<RemoteApiOptions>>().Value));
            services.AddHostedService<RemoteApiFollower>();
        }
        if (HasRole(configuration, "proxy"))
        {
            services.AddServiceProxy(configuration.GetSection(RunSettings.DataPlaneSection));
            services.AddServiceProxyHealthCheckNodePorts();
        }

        services.AddHostedService<DataPlaneReadiness>();
        services.AddServiceProxyClusterDns();
        services.AddServiceProxyDns(configuration.GetSection(RunSettings.DnsSection));
        services.AddSingleton<IValidateOptions<DnsServerOptions>, RunSettingsValidator<DnsServerOptions>>();
    }

    /// <summary>
    /// Runs every options check now (ValidateOnStart runs them again at start, from the cache); the
    /// failures of every options type come as one <see cref="OptionsValidationException"/>.
    /// </summary>
    internal static void ValidateOptions(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException e)
        {
            throw WithFlags([e]);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
        {
            throw WithFlags(e.InnerExceptions.Cast<OptionsValidationException>().ToList());
        }
        catch (InvalidOperationException e)
        {
            // The binder could not convert a key no option maps (ServiceProxy:Tcp:IdleTimeout…); its message names the key.
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>Every failure once, the registry's named by flag rather than by key.</summary>
    private static OptionsValidationException WithFlags(IReadOnlyList<OptionsValidationException> exceptions) =>
        new(exceptions[0].OptionsName, exceptions[0].OptionsType, [.. exceptions
            .SelectMany(e => e.Failures.Select(f => e.OptionsType == typeof(RegistryOptions) ? RunSettings.NameFlag(RunSettings.RegistrySection, f)
                : e.OptionsType == typeof(DnsServerOptions) ? RunSettings.NameFlag(RunSettings.DnsSection, f) : f))
            .Distinct()]);

    /// <summary>Whether <c>--roles</c> names <paramref name="role"/>; a malformed list reads as every role (the options check refuses it).</summary>
    private static bool HasRole(IConfiguration configuration, string role)
    {
        var options = new RunOptions();
        configuration.GetSection(RunSettings.HostSection).Bind(options);
        try
        {
            return options.RoleSet.Contains(role);
        }
        catch (FormatException)
        {
            return true;
        }
    }

    /// <summary>Whether <c>--kubeconfig</c> or <c>--master</c> is given: Services and Endpoints come from a remote API.</summary>
    private static bool FollowsRemoteApi(IConfiguration configuration)
    {
        var options = new RemoteApiOptions();
        configuration.GetSection(RunSettings.RemoteApiSection).Bind(options);
        return options.Enabled;
    }

    private static bool RunsControllers(RunOptions run)
    {
        try
        {
            return run.RunsControllers;
        }
        catch (FormatException)
        {
            return true;
        }
    }

    /// <summary>The Node's role labels: <c>control-plane</c> for the API or the controllers, <c>proxy</c> for the data plane.</summary>
    private static List<string> NodeRoles(RunOptions run)
    {
        try
        {
            var roles = new List<string>();
            if (run.ServesApi || run.RunsControllers)
            {
                roles.Add("control-plane");
            }

            if (run.RunsProxy)
            {
                roles.Add("proxy");
            }

            return roles;
        }
        catch (FormatException)
        {
            return [];
        }
    }

    /// <summary>The admin API's bound address (useful when the port was 0).</summary>
    public static IPEndPoint? AdminAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => BindingAddress.Parse(a)).Select(b => new IPEndPoint(IPAddress.Parse(b.Host.Trim('[', ']')), b.Port)).FirstOrDefault();

    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.Services.AddOptions<LoggerFilterOptions>().Configure<IOptions<RunOptions>>((filter, options) =>
        {
            filter.MinLevel = options.Value.MinimumLevel;
            if (options.Value.MinimumLevel > LogLevel.Debug)
            {
                // Kestrel and routing chatter is noise at Information; their warnings still show.
                filter.Rules.Add(new LoggerFilterRule(null, "Microsoft", LogLevel.Warning, null));
            }
        });

        // The data plane logs on its event loops (access log, warnings). Once stdout stalls (a log
        // collector that stopped reading) and the queue is full, lines are dropped rather than
        // blocking a loop; the console logger counts them and reports "N message(s) dropped" on
        // stderr when it writes again. The queue rides out a hiccup (4096 lines, about 1 MB); no
        // queue outlasts a reader that stopped.
        logging.AddConsole();
        logging.Services.AddOptions<ConsoleLoggerOptions>().Configure<IOptions<RunOptions>>((console, options) =>
        {
            console.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
            console.MaxQueueLength = 4096;
            console.FormatterName = options.Value.LogFormat == "json" ? ConsoleFormatterNames.Json : ConsoleFormatterNames.Simple;
        });
        logging.Services.Configure<JsonConsoleFormatterOptions>(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        logging.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
    }

    [LoggerMessage(EventId = 542, Level = LogLevel.Warning,
        Message = "the admin API on {Admin} is reachable off loopback without TLS: its bearer token and every object cross the network in clear text; serve it with --admin-tls-cert and --admin-tls-key")]
    private static partial void LogAdminWithoutTls(ILogger logger, string admin);

    /// <summary>Restores <c>--data-dir</c> objects before anything else starts.</summary>
    private sealed partial class PersistenceLoader(IObjectStore store, PersistenceSource source, ILogger<PersistenceLoader> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (source.Directory is { } directory)
            {
                LogRestored(await directory.RestoreAsync(store, logger, cancellationToken));
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 541, Level = LogLevel.Information, Message = "restored {Count} objects from the data directory")]
        private partial void LogRestored(int count);
    }

    /// <summary>The <c>--data-dir</c>, if any, where the store makes each write durable; disposing it (with the host) releases its lock.</summary>
    private sealed class PersistenceSource(DataDirectory? directory) : IObjectPersistence, IDisposable
    {
        public DataDirectory? Directory => directory;

        public long ResourceVersionFloor => directory?.ResourceVersionFloor ?? 0;

        public void Persist(string kind, (string Namespace, string Name) key, StoredObject? previous, StoredObject? next, long resourceVersion) =>
            directory?.Persist(kind, key, previous, next, resourceVersion);

        public void Dispose() => directory?.Dispose();
    }
}

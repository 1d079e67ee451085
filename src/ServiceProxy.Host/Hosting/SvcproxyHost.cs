using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ServiceProxy.Configuration;
using ServiceProxy.Host.Admin;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// The <c>svcproxy run</c> process: the registry (with <c>--data-dir</c> persistence), the endpoints
/// controller, manifests (with <c>--watch</c>), the data plane fed by registry snapshots, and the
/// admin API on Kestrel. Start order: persisted objects, manifests, data plane, then the API, so
/// the API never serves a half-loaded state.
/// </summary>
internal static partial class SvcproxyHost
{
    public static WebApplication Build(RunOptions options)
    {
        options.Validate();
        DescriptorLimit.RaiseSoftToHard();
        // Not the working directory: an appsettings.json there must not configure Kestrel or logging.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging, options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.AdminEndPoint, listen =>
            {
                if (options.AdminCertificate is { } certificate)
                {
                    listen.UseHttps(certificate);
                }
            });
            kestrel.Limits.MaxConcurrentConnections = AdminLimits.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = AdminLimits.MaxUpgradedConnections;
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
            kestrel.AddServerHeader = false;
        });

        var serviceProxyOptions = new ServiceProxyOptions { AccessLog = options.AccessLog, MaxConnections = options.MaxConnections };
        serviceProxyOptions.Tcp.Engine = options.RelayEngine;
        serviceProxyOptions.EventLoops.BusyPoll = TimeSpan.FromMicroseconds(options.BusyPollUs);
        serviceProxyOptions.EventLoops.Count = options.EventLoops;
        serviceProxyOptions.Tcp.AcceptOnEventLoops = options.AcceptOnLoops;
        var registryOptions = new RegistryOptions { NodeAddresses = [.. options.NodeAddresses] };
        var (first, last) = options.NodePorts;
        registryOptions.Allocation.ServiceCidr = options.ServiceCidr;
        registryOptions.Allocation.NodePortRange = $"{first}-{last}";

        // Connections drain for up to ShutdownDrainTimeout on SIGTERM/Ctrl-C; the host must wait that long.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = serviceProxyOptions.ShutdownDrainTimeout + TimeSpan.FromSeconds(5));
        builder.Services.AddAdminApi(new AdminApiOptions
        {
            Token = options.ResolvedAdminToken,
            EndPoint = options.AdminEndPoint,
            AllowedHosts = options.AdminAllowedHosts,
            AllowedOrigins = options.AdminAllowedOrigins,
            MinRequestTimeout = TimeSpan.FromSeconds(options.MinRequestTimeout),
        });
        builder.Services.AddSingleton(registryOptions);
        builder.Services.AddSingleton<IObjectValidator>(ObjectValidator.Default);

        // Locked now, so a second process on the same directory stops before it touches anything.
        var dataDirectory = options.DataDir is null ? null : DataDirectory.Open(options.DataDir);
        builder.Services.AddSingleton(_ => new PersistenceSource(dataDirectory));
        builder.Services.AddKeyedSingleton<IObjectStore>("registry", (sp, _) => ObjectStore.CreateInMemory(
            registryOptions, sp.GetRequiredService<IObjectValidator>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), dataDirectory));
        builder.Services.AddSingleton(sp => sp.GetRequiredKeyedService<IObjectStore>("registry"));

        // Persisted API objects first, then the manifests, then the data plane, then Kestrel (started last by WebApplication).
        builder.Services.AddHostedService<PersistenceLoader>();
        builder.Services.AddSingleton(new ManifestSyncOptions { Paths = options.Filename, Watch = options.Watch });
        builder.Services.AddHostedService<ManifestSync>();
        RegistryWiring.AddRegistryDataPlane(builder.Services, serviceProxyOptions);
        builder.Services.AddHostedService<DataPlaneReadiness>();

        var app = builder.Build();
        app.MapAdminApi();
        if (!IPAddress.IsLoopback(options.AdminEndPoint.Address) && options.AdminCertificate is null)
        {
            LogAdminWithoutTls(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SvcproxyHost)), options.Admin);
        }

        AdminWarmUp.Register(app, options.ResolvedAdminToken, options.AdminCertificate);
        return app;
    }

    /// <summary>The admin API's bound address (useful when the port was 0).</summary>
    public static IPEndPoint? AdminAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => BindingAddress.Parse(a)).Select(b => new IPEndPoint(IPAddress.Parse(b.Host.Trim('[', ']')), b.Port)).FirstOrDefault();

    private static void ConfigureLogging(ILoggingBuilder logging, RunOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.MinimumLevel);
        if (options.MinimumLevel > LogLevel.Debug)
        {
            // Kestrel and routing chatter is noise at Information; their warnings still show.
            logging.AddFilter("Microsoft", LogLevel.Warning);
        }

        // The data plane logs on its event loops (access log, warnings). Once stdout stalls (a log
        // collector that stopped reading) and the queue is full, lines are dropped rather than
        // blocking a loop; the console logger counts them and reports "N message(s) dropped" on
        // stderr when it writes again. The queue rides out a hiccup (4096 lines, about 1 MB); no
        // queue outlasts a reader that stopped.
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o =>
        {
            o.QueueFullMode = Microsoft.Extensions.Logging.Console.ConsoleLoggerQueueFullMode.DropWrite;
            o.MaxQueueLength = 4096;
        });
        if (options.LogFormat == "json")
        {
            logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
    }

    [LoggerMessage(EventId = 542, Level = LogLevel.Warning,
        Message = "the admin API on {Admin} is reachable off loopback without TLS: its bearer token and every object cross the network in clear text; serve it with --admin-tls-cert and --admin-tls-key")]
    private static partial void LogAdminWithoutTls(ILogger logger, string admin);

    /// <summary>Restores <c>--data-dir</c> objects before anything else starts.</summary>
    private sealed partial class PersistenceLoader(IObjectStore store, PersistenceSource source, ILogger<PersistenceLoader> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (source.Directory is { } directory)
            {
                LogRestored(directory.Restore(store, logger));
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 541, Level = LogLevel.Information, Message = "restored {Count} objects from the data directory")]
        private partial void LogRestored(int count);
    }

    /// <summary>The <c>--data-dir</c>, if any; disposing it (with the host) releases its lock.</summary>
    private sealed class PersistenceSource(DataDirectory? directory) : IDisposable
    {
        public DataDirectory? Directory => directory;

        public void Dispose() => directory?.Dispose();
    }

    /// <summary>Marks the data plane ready once ServiceProxyServer's hosted service (registered before it) has started.</summary>
    private sealed class DataPlaneReadiness(HostReadiness readiness) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            readiness.MarkReady(HostReadiness.DataPlane);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Sends the admin API a few requests of its own as soon as it listens, and marks it ready after.
/// Its first request loads a dozen assemblies (routing, results, validation…), two descriptors
/// each, kept for the process's life: loaded now, they cannot fail later when proxied clients have
/// taken the descriptors (the runtime answers a load that fails there with FileNotFoundException,
/// and a thread it cannot start by aborting the process).
/// </summary>
internal static partial class AdminWarmUp
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A list (JSON), a 404 Status and a Prometheus scrape: the paths clients take first.</summary>
    private static readonly string[] Paths =
        ["/api/v1/namespaces/default/services", "/api/v1/namespaces/default/services/svcproxy-warm-up", "/metrics"];

    /// <summary>After the host started: requests each of <see cref="Paths"/>, then marks the admin API ready.</summary>
    public static void Register(WebApplication app, string? token)
    {
        var readiness = app.Services.GetRequiredService<HostReadiness>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminWarmUp));
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                if (SvcproxyHost.AdminAddress(app) is { } bound)
                {
                    await RunAsync(bound, token, logger);
                }
            }
            finally
            {
                readiness.MarkReady(HostReadiness.AdminApi);
            }
        }));
    }

    private static async Task RunAsync(IPEndPoint bound, string? token, ILogger logger)
    {
        var address = bound.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : bound.Address;
        var target = new IPEndPoint(address, bound.Port);
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            foreach (var path in Paths)
            {
                await RequestAsync(target, path, token, timeout.Token);
            }

            LogWarmedUp(logger, Paths.Length);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            LogWarmUpFailed(logger, ex.Message);
        }
    }

    private static async Task RequestAsync(IPEndPoint target, string path, string? token, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(target, cancellationToken);
        var authorization = string.IsNullOrEmpty(token) ? string.Empty : $"Authorization: Bearer {token}\r\n";
        var request = $"GET {path} HTTP/1.1\r\nHost: {target}\r\nAccept: application/json\r\n{authorization}Connection: close\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);
        var buffer = new byte[4096];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
        {
            // The answer does not matter; serving it is what loads the pipeline.
        }
    }

    [LoggerMessage(EventId = 545, Level = LogLevel.Debug, Message = "admin API warmed up with {Count} requests of its own")]
    private static partial void LogWarmedUp(ILogger logger, int count);

    [LoggerMessage(EventId = 546, Level = LogLevel.Warning, Message = "admin API warm-up failed ({Reason}); its first requests load what they need then")]
    private static partial void LogWarmUpFailed(ILogger logger, string reason);
}

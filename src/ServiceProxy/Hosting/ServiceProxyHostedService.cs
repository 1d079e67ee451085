using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ServiceProxy.Hosting;

/// <summary>
/// Runs the <see cref="ServiceProxyServer"/> for the lifetime of the host, with its
/// <see cref="ServiceProxyOptions.LocalRoutes"/> set up before it starts and removed after it stops.
/// </summary>
internal sealed class ServiceProxyHostedService(ServiceProxyServer server, IOptions<ServiceProxyOptions> options, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly LocalRoutes _routes = new(options, loggerFactory);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _routes.StartAsync(cancellationToken).ConfigureAwait(false);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _routes.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

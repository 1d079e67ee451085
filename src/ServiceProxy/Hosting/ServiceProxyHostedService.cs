using Microsoft.Extensions.Hosting;

namespace ServiceProxy.Hosting;

/// <summary>Runs the <see cref="ServiceProxyServer"/> for the lifetime of the host.</summary>
internal sealed class ServiceProxyHostedService(ServiceProxyServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
